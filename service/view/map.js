  // The world map (service/view/worldmap.py): "Fit events" and "Whole world" switch the
  // viewBox; point radii and label sizes stay at their data-px screen pixels; clicking a
  // point (or Enter on it) marks it and sends a "map-pick" event with its record's ref.
  function mapScale(svg) {
    var box = svg.getAttribute("viewBox").split(" ").map(Number);
    var perPx = box[2] / (svg.getBoundingClientRect().width || 1);
    svg.querySelectorAll("[data-px]").forEach(function (el) {
      var size = String(Number(el.dataset.px) * perPx);
      if (el.tagName === "circle") el.setAttribute("r", size);
      else el.setAttribute("font-size", size);
    });
    var least = 0.004 * box[2] * box[3];  // worldmap.LABEL_SHARE of the view
    svg.querySelectorAll("text.label").forEach(function (t) {
      t.classList.toggle("off", Number(t.dataset.area) < least);
    });
  }
  function mapMark(ref) {
    document.querySelectorAll("circle.pt").forEach(function (c) {
      c.classList.toggle("selected", c.dataset.ref === ref);
    });
  }
  document.querySelectorAll("figure.map").forEach(function (figure) {
    var svg = figure.querySelector("svg.worldmap");
    mapScale(svg);
    window.addEventListener("resize", function () { mapScale(svg); });
    figure.querySelectorAll("button[data-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        svg.setAttribute("viewBox", svg.dataset[button.dataset.view]);
        figure.querySelectorAll("button[data-view]").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
        mapScale(svg);
      });
    });
    function pick(e) {
      var point = e.target.closest("circle.pt[data-ref]");
      if (!point) return;
      if (e.type === "keydown") {
        if (e.key !== "Enter" && e.key !== " ") return;
        e.preventDefault();
      }
      mapMark(point.dataset.ref);
      figure.dispatchEvent(new CustomEvent("map-pick", {bubbles: true,
        detail: point.dataset.ref}));
    }
    svg.addEventListener("click", pick);
    svg.addEventListener("keydown", pick);
  });
