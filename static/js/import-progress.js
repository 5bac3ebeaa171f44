// Back office, import of a CSV file: follows the job's progress (JSON) until it ends.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") {
    return;
  }
  var bar = document.getElementById("import-bar");
  var DELAY = 2000;

  function show(data) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      el.textContent = value === undefined || value === null ? "" : String(value);
      if (el.dataset.field === "error") {
        el.hidden = !value;
      }
    });
    box.querySelectorAll("[data-show]").forEach(function (el) {
      el.hidden = !data[el.dataset.show];
    });
    box.querySelectorAll("[data-link]").forEach(function (el) {
      var url = data[el.dataset.link];
      el.hidden = !url;
      if (url) {
        el.querySelector("a").href = url;
      }
    });
    bar.value = data.percent;
    bar.textContent = data.percent + " %";
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.finished) {
          window.setTimeout(poll, DELAY);
        }
      })
      .catch(function () {
        window.setTimeout(poll, DELAY * 3);
      });
  }

  window.setTimeout(poll, DELAY);
})();
