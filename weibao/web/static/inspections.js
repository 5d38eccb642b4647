// Suggests pass / warn / fail from a numeric reading and the item's limits; the engineer
// still chooses (the suggestion only preselects when nothing is chosen yet).
(function () {
  const labels = {};
  const tpl = document.getElementById("insp-labels");
  if (tpl) tpl.content.querySelectorAll("span").forEach((s) => { labels[s.dataset.r] = s.textContent; });
  document.querySelectorAll("fieldset.item[data-direction]").forEach((box) => {
    const input = box.querySelector("input[type=number]");
    const hint = box.querySelector(".suggest");
    if (!input || !hint) return;
    const warn = parseFloat(box.dataset.warn), fail = parseFloat(box.dataset.fail);
    const above = box.dataset.direction === "above";
    input.addEventListener("input", () => {
      const v = parseFloat(input.value);
      if (Number.isNaN(v)) { hint.hidden = true; return; }
      const r = above ? (v >= fail ? "fail" : v >= warn ? "warn" : "pass")
                      : (v <= fail ? "fail" : v <= warn ? "warn" : "pass");
      hint.hidden = false;
      hint.querySelector("b").textContent = labels[r] || r;
      if (!box.querySelector("input[type=radio]:checked")) {
        const radio = box.querySelector(`input[type=radio][value=${r}]`);
        if (radio) radio.checked = true;
      }
    });
  });
})();
// The chosen photo's file name, in place of the browser's own (untranslated) text.
document.querySelectorAll("label.photo input[type=file]").forEach((input) => {
  input.addEventListener("change", () => {
    const shown = input.parentElement.querySelector(".picked");
    if (shown && input.files.length) shown.textContent = input.files[0].name;
  });
});
