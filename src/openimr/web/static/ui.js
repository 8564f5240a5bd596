// The workbench's one script (the pages work without it, less comfortably):
// an override needs a reason; a busy note on long actions; the scroll position kept across
// an action; evidence links highlight their span in the record; the override composer's
// preview; record files dropped on the intake form.
(function () {
  "use strict";

  // ---- forms: the reason check, confirmations, a busy indicator
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.kind === "override") {
      var reason = form.querySelector("textarea[name=reason]");
      if (reason && !reason.value.trim()) {
        event.preventDefault();
        reason.setCustomValidity("An override needs a reason.");
        reason.reportValidity();
        return;
      }
    }
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.dataset.busy) {
      var button = event.submitter || form.querySelector("button[type=submit]");
      if (button) {
        if (button.dataset.busyOnce) { event.preventDefault(); return; }
        button.dataset.busyOnce = "1";
        // disabled after the submit is under way (a disabled button would not be sent)
        window.setTimeout(function () { button.disabled = true; }, 0);
        button.setAttribute("aria-busy", "true");
        var note = document.createElement("span");
        note.className = "busy-note";
        note.setAttribute("role", "status");
        note.textContent = form.dataset.busy;
        button.insertAdjacentElement("afterend", note);
      }
    }
    try {
      sessionStorage.setItem("openimr-scroll", JSON.stringify({ path: location.pathname, y: window.scrollY }));
    } catch (e) { /* private mode */ }
  });
  document.addEventListener("input", function (event) {
    if (event.target.name === "reason") event.target.setCustomValidity("");
  });

  // ---- after an action: back where the reviewer was (unless the answer names an anchor)
  window.addEventListener("load", function () {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem("openimr-scroll") || "null"); sessionStorage.removeItem("openimr-scroll"); } catch (e) { saved = null; }
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target && target.closest(".criteria-pane, #actions, #letter")) { target.scrollIntoView({ block: "start" }); return; }
    }
    if (saved && saved.path === location.pathname) window.scrollTo(0, saved.y);
  });

  // ---- evidence: click a quote, the record pane scrolls to the span and highlights it
  function show(spanId) {
    var anchor = document.getElementById(spanId);
    if (!anchor) return false;
    document.querySelectorAll("mark.ev.active").forEach(function (m) { m.classList.remove("active"); });
    document.querySelectorAll("mark.ev").forEach(function (m) {
      if ((" " + m.dataset.spans + " ").indexOf(" " + spanId + " ") >= 0) m.classList.add("active");
    });
    var first = anchor.nextElementSibling && anchor.nextElementSibling.matches("mark") ? anchor.nextElementSibling : anchor;
    first.scrollIntoView({ block: "center" });
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.ev-link");
    if (link && show(link.dataset.span)) {
      event.preventDefault();
      history.replaceState(null, "", "#" + link.dataset.span);
    }
    var recordLink = event.target.closest("a.searched-link, a.record-tab");
    if (recordLink) {
      var rec = document.querySelector(recordLink.getAttribute("href"));
      if (rec) { event.preventDefault(); rec.scrollIntoView({ block: "start" }); }
    }
  });

  // ---- the override composer: preview the rationale the letter will carry
  function preview(form) {
    var target = form.querySelector(".preview-target");
    target.textContent = "Previewing…";
    fetch(form.dataset.preview, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
      .then(function (r) {
        if (!r.ok) { target.textContent = r.text; return; }
        target.innerHTML = r.text; // a server-rendered, escaped fragment
        var suggestion = target.querySelector("template.suggested-reason");
        var use = form.querySelector(".use-suggestion");
        use.hidden = !suggestion;
        use.onclick = function () {
          form.querySelector("textarea[name=reason]").value = suggestion.innerHTML
            .replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#34;/g, '"').replace(/&#39;/g, "'");
          use.hidden = true;
          preview(form);
        };
      })
      .catch(function () { target.textContent = "The preview could not be loaded."; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".preview-button");
    if (button) preview(button.closest("form"));
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-preview]");
    if (form && (event.target.matches(".crit-change") || event.target.matches(".override-decision"))) preview(form);
  });

  // ---- record files dropped on a zone join its file input (new application, case page)
  document.querySelectorAll(".dropzone").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector(".dropped");
    if (!input) return;
    var render = function () {
      if (!list) return;
      list.innerHTML = "";
      Array.prototype.forEach.call(input.files, function (f) {
        var li = document.createElement("li"); li.textContent = f.name; list.appendChild(li);
      });
    };
    input.addEventListener("change", render);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault(); zone.classList.remove("over");
      var dt = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (f) { dt.items.add(f); });
      Array.prototype.forEach.call(e.dataTransfer.files, function (f) { dt.items.add(f); });
      input.files = dt.files;
      render();
    });
  });
})();
