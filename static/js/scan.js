// Scan station: a short beep for each scan result, where the browser allows sound, and the
// scan field keeps focus so a keyboard-wedge scanner can go on typing.
(function () {
  "use strict";
  var banner = document.querySelector("[data-feedback]");
  if (banner) {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      var audio = new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      var ok = banner.getAttribute("data-feedback") === "ok";
      tone.frequency.value = ok ? 880 : 220;
      gain.gain.value = 0.15;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + (ok ? 0.12 : 0.4));
    } catch (e) {
      // No sound without a user gesture or audio device: the banner says it all.
    }
  }
  var field = document.querySelector("[data-scan]");
  if (field) {
    field.focus();
  }
})();
