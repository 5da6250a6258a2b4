// Portal PSM: small progressive enhancements, no framework. Loaded as a file (CSP: no inline JS).
document.addEventListener("DOMContentLoaded", () => {
  // Filter forms submit on change of a select, so staff need not hunt for the button.
  document.querySelectorAll("form[data-autosubmit] select").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
  // Tables that stack on a phone hide their heading row: each cell carries its column's name,
  // which the stylesheet shows before the value there (a lone "8/25" says nothing).
  document.querySelectorAll("table.table-responsive-stack").forEach((table) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.querySelectorAll("tbody tr").forEach((row) => {
      [...row.children].forEach((cell, i) => {
        if (heads[i] && cell.colSpan === 1 && !cell.dataset.label) cell.dataset.label = heads[i];
      });
    });
  });
  // A refused form: the summary of what to fix takes the focus (screen readers read it; its
  // links lead to each field), unless the address names an element to go to (offline.js's
  // "#draf=..." names none).
  const summary = document.querySelector("[data-error-summary]");
  const anchor = decodeURIComponent(window.location.hash.slice(1));
  if (summary && !(anchor && document.getElementById(anchor))) summary.focus();
  // Its links lead to a field's wrapper (label, hint and error): once there, the cursor goes
  // into the field itself, the first of a group of choices included.
  if (summary) {
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const wrapper = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      const field = wrapper && wrapper.querySelector("input:not([type=hidden]), select, textarea");
      if (field) setTimeout(() => field.focus({ preventScroll: true }), 0);
    });
  }
});
