// Rollcall console: copy buttons. Everything works without this script; it only adds a
// "Copy" button next to each value marked data-copy.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy]").forEach(function (field) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + (field.getAttribute("data-copy") || "value"));
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
    field.insertAdjacentElement("afterend", button);
  });
});
