/* The error summary of a form takes the focus when the page opens (RGAA), so that a screen
   reader reads it and the keyboard starts from it; its links move the focus to their field.
   Loaded on every page (templates/base.html); a page without a summary is left alone. */
(function () {
  "use strict";

  function start() {
    var summary = document.querySelector("[data-error-summary], .error-summary");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      field.focus();
      (field.closest(".field") || field).scrollIntoView({ block: "center" });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
