/* Starts ReDoc on /redoc (a file, not an inline script: the page's CSP forbids those).
   ReDoc writes its styles into <style> elements; they carry the page's style nonce, which
   the page hands over on this script's own element (data-style-nonce). */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = document.getElementById("redoc");
  Redoc.init(
    root.getAttribute("data-spec-url"),
    { nonce: script.getAttribute("data-style-nonce") || undefined, disableSearch: false },
    root
  );
})();
