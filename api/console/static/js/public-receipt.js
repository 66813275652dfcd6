/* The receipt page's buttons: copy the tracking code, print the page, download the receipt
   (the text of the "check this receipt" box) as a file to keep. */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function say(text) {
    if (status) status.textContent = text;
  }

  var copy = document.getElementById("copy-code");
  if (copy) {
    copy.addEventListener("click", function () {
      var target = document.getElementById(copy.getAttribute("data-copy-target"));
      var text = target ? target.textContent.trim() : "";
      function selectIt() {
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        say("已选中查询码，请按 Ctrl+C（手机上长按）复制。");
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () {
          say("查询码已复制。请把它保存在安全的地方。");
        }, selectIt);
      } else {
        selectIt();
      }
    });
  }

  var print = document.getElementById("print-receipt");
  if (print) {
    print.addEventListener("click", function () {
      window.print();
    });
  }

  var download = document.getElementById("download-receipt");
  if (download) {
    download.addEventListener("click", function () {
      var source = document.getElementById(download.getAttribute("data-download-source"));
      var blob = new Blob([source.value], { type: "application/json" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = download.getAttribute("data-download-name") || "receipt.json";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () {
        URL.revokeObjectURL(link.href);
      }, 1000);
      say("回执文件已下载。以后可在“核验回执”页面粘贴它的内容进行核验。");
    });
  }
})();
