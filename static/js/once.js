/* Every form that posts is sent once: a second submit (a double click, Enter twice) is ignored and the
   buttons are disabled while the page changes. The server guards too (the same run, export or sign-off
   comes back); this keeps the page honest about it. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") { return; }
    if (form.dataset.submitted === "true") { event.preventDefault(); return; }
    form.dataset.submitted = "true";
    // disable after this event, so the clicked button's name and value still go with the form
    setTimeout(function () {
      form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }, true);
  window.addEventListener("pageshow", function (event) {  // Back to a page kept in memory: forms work again
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      delete form.dataset.submitted;
      form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });
})();
