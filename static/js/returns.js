// Customer pages, made shorter where JavaScript runs; without it every page works as it is.
// - Items: a line's photo field shows only while its reason needs photos (data-photos names
//   the field, data-reasons lists the reasons); the server checks the photos either way.
// - Label: the Print button (hidden without JavaScript) prints the label alone.
(function () {
  "use strict";
  var selects = document.querySelectorAll("select[data-photos]");
  Array.prototype.forEach.call(selects, function (select) {
    var field = document.getElementById(select.getAttribute("data-photos"));
    if (!field) {
      return;
    }
    var reasons = (field.getAttribute("data-reasons") || "").split(" ");
    var update = function () {
      field.hidden = reasons.indexOf(select.value) < 0;
    };
    select.addEventListener("change", update);
    update();
  });
  var buttons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
