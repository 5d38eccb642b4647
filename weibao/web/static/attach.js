// The ticket page's attachment form: a file over the size limit is refused here, in the
// page's language, instead of being sent only to be turned away by the server.
(function () {
  var form = document.getElementById("attach-form");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (!file || !limit || file.size <= limit) return;
    event.preventDefault();
    var note = document.getElementById("attach-too-large");
    note.hidden = false;
  });
})();
