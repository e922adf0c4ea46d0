// jixiao's own progressive enhancement; every page works without it.
// 1. Rates computed as the numerator and denominator are typed (the server computes them
//    with the scheme's own formula; nothing is calculated here).
// 2. The print button of the report card.
// 3. The review queue's selection links and count; the entry form's checks as one types.
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
    // The checks between numbers (agreements ≤ cases) as the user types: the server's own
    // checks, shown beside each field they refuse; saving checks them again.
    var checks = function () {
      var params = new URLSearchParams();
      form.querySelectorAll('input[data-element]').forEach(function (i) {
        if (i.value.trim() !== '') { params.append(i.getAttribute('data-element'), i.value.trim()); }
      });
      fetch(base.replace(/compute\/$/, 'checks') + '?' + params.toString(), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) { return; }
          form.querySelectorAll('p.live-check').forEach(function (p) {
            var code = p.id.slice(3);
            var input = document.getElementById('v-' + code);
            var problem = j.problems[code];
            p.hidden = !problem;
            p.textContent = problem || '';
            if (input && !document.getElementById('e-' + code)) {
              if (problem) { input.setAttribute('aria-invalid', 'true'); } else { input.removeAttribute('aria-invalid'); }
            }
          });
        })
        .catch(function () {});
    };
    var checkTimer = null;
    form.addEventListener('input', function (e) {
      if (e.target.matches('input[data-element]')) {
        clearTimeout(timer);
        timer = setTimeout(refresh, 200);
        clearTimeout(checkTimer);
        checkTimer = setTimeout(checks, 300);
      }
    });
  }
  // 3. The review queue's "select all / this unit / none" links tick in place (without
  //    JavaScript they reload the queue with the values ticked), and the action bar counts.
  var queue = document.getElementById('review-form');
  if (queue) {
    var picks = queue.querySelectorAll('input[name=pick]');
    var shown = document.getElementById('review-selected');
    var count = function () {
      var n = 0;
      picks.forEach(function (p) { if (p.checked) { n += 1; } });
      shown.hidden = false;
      shown.textContent = (document.documentElement.lang === 'en' ? 'Selected: ' : '已选 ') + n + (document.documentElement.lang === 'en' ? '' : ' 条');
    };
    document.querySelectorAll('a[data-select]').forEach(function (a) {
      a.addEventListener('click', function (e) {
        e.preventDefault();
        var which = a.getAttribute('data-select');
        picks.forEach(function (p) {
          if (which === '*') { p.checked = true; } else if (which === '') { p.checked = false; } else if (p.getAttribute('data-unit') === which) { p.checked = true; }
        });
        count();
      });
    });
    queue.addEventListener('change', count);
    count();
  }
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
})();
