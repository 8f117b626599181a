// perfaudit review report: filters, search, deep links. Inlined; the CSP admits it by hash.
// Reads only data-* attributes and writes only textContent / hidden: no HTML is ever built here.
(function () {
  "use strict";
  var $ = function (sel) { return document.querySelector(sel); };
  var all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var sevButtons = all("#f-sev button[data-sev]");
  var ruleSel = $("#f-rule");
  var unitSel = $("#f-unit");
  var search = $("#f-q");
  var onlyNew = $("#f-new");
  var count = $("#f-count");
  var cards = all(".card");
  var fatalRows = all("tr.fatal-row");
  var fatalBlock = $("#fatal");
  var nomatch = $("#nomatch");
  var total = all(".finding").length + fatalRows.length;

  function norm(s) {
    return (s || "").normalize("NFKC").toLowerCase();
  }

  function state() {
    var sevs = {};
    sevButtons.forEach(function (b) { sevs[b.getAttribute("data-sev")] = b.getAttribute("aria-pressed") === "true"; });
    return {
      sevs: sevs,
      rule: ruleSel ? ruleSel.value : "",
      unit: unitSel ? unitSel.value : "",
      onlyNew: !!(onlyNew && onlyNew.checked),
      terms: norm(search ? search.value : "").split(/\s+/).filter(Boolean)
    };
  }

  function matches(st, el, context) {
    if (!st.sevs[el.getAttribute("data-sev")]) return false;
    if (st.rule && el.getAttribute("data-rule") !== st.rule) return false;
    var text = context + " " + (el.getAttribute("data-text") || "");
    for (var i = 0; i < st.terms.length; i++) {
      if (text.indexOf(st.terms[i]) < 0) return false;
    }
    return true;
  }

  function apply() {
    var st = state();
    var shown = 0;
    var shownCards = 0;
    cards.forEach(function (card) {
      var cardOk = (!st.unit || card.getAttribute("data-unit") === st.unit) &&
        (!st.onlyNew || card.getAttribute("data-new") === "1");
      var context = card.getAttribute("data-text") || "";
      var inCard = 0;
      all(".grp", card).forEach(function (grp) {
        var inGrp = 0;
        all(".finding", grp).forEach(function (f) {
          var ok = cardOk && matches(st, f, context);
          f.hidden = !ok;
          if (ok) inGrp++;
        });
        grp.hidden = inGrp === 0;
        inCard += inGrp;
      });
      card.hidden = inCard === 0;
      shown += inCard;
      if (inCard) shownCards++;
    });
    var fatalShown = 0;
    fatalRows.forEach(function (row) {
      var ok = !st.unit && (!st.onlyNew || row.getAttribute("data-new") === "1") && matches(st, row, "");
      row.hidden = !ok;
      if (ok) fatalShown++;
    });
    if (fatalBlock) fatalBlock.hidden = fatalRows.length > 0 && fatalShown === 0;
    shown += fatalShown;
    if (count) {
      count.textContent = "显示 " + shown + " / " + total + " 条问题 · " + shownCards + " 张表";
      count.setAttribute("data-shown", String(shown));
      count.setAttribute("data-cards", String(shownCards));
    }
    if (nomatch) nomatch.hidden = shown > 0 || total === 0;
  }

  function reset() {
    sevButtons.forEach(function (b) { b.setAttribute("aria-pressed", "true"); });
    if (ruleSel) ruleSel.value = "";
    if (unitSel) unitSel.value = "";
    if (search) search.value = "";
    if (onlyNew) onlyNew.checked = false;
    apply();
  }

  sevButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true");
      apply();
    });
  });
  [ruleSel, unitSel, onlyNew].forEach(function (el) { if (el) el.addEventListener("change", apply); });
  if (search) search.addEventListener("input", apply);
  var resetButton = $("#f-reset");
  if (resetButton) resetButton.addEventListener("click", reset);

  function toToolbar() {
    var bar = $(".toolbar");
    if (bar) window.scrollTo(0, bar.getBoundingClientRect().top + window.pageYOffset);
  }
  all("[data-set-rule]").forEach(function (el) {
    el.addEventListener("click", function () {
      reset();
      if (ruleSel) ruleSel.value = el.getAttribute("data-set-rule");
      apply();
      toToolbar();
    });
  });
  all("[data-set-sev]").forEach(function (el) {
    el.addEventListener("click", function () {
      var want = el.getAttribute("data-set-sev");
      reset();
      sevButtons.forEach(function (b) { b.setAttribute("aria-pressed", b.getAttribute("data-sev") === want ? "true" : "false"); });
      apply();
      toToolbar();
    });
  });

  // "/" focuses the search box, Escape clears it.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== search && search) {
      ev.preventDefault();
      search.focus();
    } else if (ev.key === "Escape" && document.activeElement === search) {
      search.value = "";
      apply();
    }
  });

  // A link to a finding (#f:file:form:rule:indicator) must land on it even when filters hide it.
  function reveal() {
    var id = "";
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { id = location.hash.slice(1); }
    if (!id) return;
    var el = document.getElementById(id);
    if (!el) return;
    if (el.closest("[hidden]")) reset();
    var details = el.closest("details");
    if (details) details.open = true;
    el.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", reveal);

  apply();
  reveal();
  document.documentElement.setAttribute("data-ready", "1");
})();
