// The one script on the page: an override's reason is required, and says so before submit.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.kind !== "override") return;
  var reason = form.querySelector("textarea[name=reason]");
  if (reason && !reason.value.trim()) {
    event.preventDefault();
    reason.setCustomValidity("An override needs a reason.");
    reason.reportValidity();
  }
});
document.addEventListener("input", function (event) {
  if (event.target.name === "reason") event.target.setCustomValidity("");
});
