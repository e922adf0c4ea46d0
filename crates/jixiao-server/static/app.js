// jixiao's own progressive enhancement; every page works without it.
// 1. Rates computed as the numerator and denominator are typed (the server computes them
//    with the scheme's own formula; nothing is calculated here).
// 2. The print button of the report card.
(function () {
  'use strict';
  var form = document.getElementById('entry-form');
  if (form && window.fetch) {
    var base = form.getAttribute('data-preview');
    var outputs = form.querySelectorAll('output[data-computed]');
    var timer = null;
    var refresh = function () {
      outputs.forEach(function (out) {
        var set = out.closest('fieldset');
        var params = new URLSearchParams();
        set.querySelectorAll('input[data-element]').forEach(function (i) {
          if (i.value.trim() !== '') { params.append(i.getAttribute('data-element'), i.value.trim()); }
        });
        fetch(base + encodeURIComponent(out.getAttribute('data-computed')) + '?' + params.toString(), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (j) { if (j) { out.textContent = j.value === null ? '—' : j.value; } })
          .catch(function () {});
      });
    };
    form.addEventListener('input', function (e) {
      if (e.target.matches('input[data-element]')) {
        clearTimeout(timer);
        timer = setTimeout(refresh, 200);
      }
    });
  }
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
})();
