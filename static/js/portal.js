// Portal PSM: small progressive enhancements, no framework. Loaded as a file (CSP: no inline JS).
document.addEventListener("DOMContentLoaded", () => {
  // Filter forms submit on change of a select, so staff need not hunt for the button.
  document.querySelectorAll("form[data-autosubmit] select").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
});
