// The "In danh sách" button of the printable checklist: the browser's own print dialog (the page's
// print stylesheet hides the buttons and fits the list on A4).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-button");
  if (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  }
});
