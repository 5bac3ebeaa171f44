// Mes attestations: follow the documents being prepared and swap their row when ready.
(function () {
  "use strict";
  var INTERVAL = 1500;
  var announce = document.getElementById("document-announce");

  function readyRow(row, data) {
    var state = row.querySelector(".document__state");
    var badge = document.createElement("span");
    badge.className = "badge badge--success";
    badge.textContent = data.label;
    var link = document.createElement("a");
    link.className = "btn btn--primary btn--small";
    link.href = data.download_url;
    link.setAttribute("download", "");
    link.textContent = "Télécharger (PDF)";
    state.replaceChildren(badge, document.createTextNode(" "), link);
    row.className = "document document--ready";
    row.dataset.status = "ready";
    if (announce) announce.textContent = "Votre document est prêt. Vous pouvez le télécharger.";
  }

  function failedRow(row, data) {
    var state = row.querySelector(".document__state");
    var badge = document.createElement("span");
    badge.className = "badge badge--warning";
    badge.textContent = data.label;
    var refresh = document.createElement("a");
    refresh.href = window.location.pathname;
    refresh.textContent = "Actualiser la page pour réessayer";
    state.replaceChildren(badge, document.createTextNode(" "), refresh);
    row.dataset.status = "failed";
    if (announce) announce.textContent = "La préparation du document n'a pas abouti.";
  }

  function poll(row) {
    fetch(row.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status === "ready") return readyRow(row, data);
        if (data && data.status === "failed") return failedRow(row, data);
        window.setTimeout(function () { poll(row); }, INTERVAL);
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, INTERVAL * 4); });
  }

  document.querySelectorAll(".document[data-status='pending']").forEach(function (row) {
    var refresh = row.querySelector(".document__refresh");
    if (refresh) refresh.hidden = true;
    window.setTimeout(function () { poll(row); }, INTERVAL);
  });
})();
