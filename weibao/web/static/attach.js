// Forms that carry a file (the ticket page's attachment form, the new-ticket form): a file
// over the size limit is refused here, in the page's language, instead of being sent only
// to be turned away by the server (and, on the new-ticket form, without losing what was typed).
(function () {
  var forms = document.querySelectorAll("form[data-max-bytes]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
      if (!file || !limit || file.size <= limit) return;
      event.preventDefault();
      var note = form.querySelector("[data-too-large]") || document.getElementById("attach-too-large");
      if (note) note.hidden = false;
    });
  });
})();
