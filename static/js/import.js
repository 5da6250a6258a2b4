// Roster upload with a visible progress bar. Without JavaScript the form posts normally.
(function () {
  "use strict";
  const form = document.getElementById("form-impor");
  if (!form || !window.XMLHttpRequest) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const box = document.getElementById("kemajuan");
    const bar = document.getElementById("kemajuan-unggah");
    const checking = document.getElementById("kemajuan-periksa");
    box.classList.remove("d-none");
    form.querySelector("button[type=submit]").disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.upload.addEventListener("load", () => {
      bar.value = 100;
      checking.classList.remove("d-none");
    });
    xhr.addEventListener("load", () => {
      if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
        window.location.assign(xhr.responseURL);  // the preview page
      } else {
        document.open();
        document.write(xhr.responseText);  // the form again, with its error messages
        document.close();
      }
    });
    xhr.addEventListener("error", () => {
      form.querySelector("button[type=submit]").disabled = false;
      checking.textContent = form.dataset.connectionLost;
      checking.classList.remove("d-none");
    });
    xhr.send(new FormData(form));
  });
})();
