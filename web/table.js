// Tables that sort (click a column's header), filter (one box over every column) and export what
// they show as CSV (UTF-8 with a byte order mark, so that Excel opens Chinese text correctly) or
// as XLSX (xlsx.js).

import { h } from './dom.js';
import { t } from './i18n.js';
import { amountMinor } from './format.js';
import { xlsxBlob } from './xlsx.js';

// columns: [{key, label, kind: 'text'|'amount'|'number'|'date', value(row), cell(row)}]
//   value(row): the raw value (sorting, filtering, CSV); default row[key].
//   cell(row): what the cell shows (a string or a Node); default the value.
// options: {id: the table's data-test name, csvName: the downloaded file's name}
export function dataTable(columns, rows, options = {}) {
  const state = { sortKey: null, descending: false, filter: '' };
  const body = h('tbody');
  const count = h('span', { class: 'count' });
  const valueOf = (column, row) => (column.value ? column.value(row) : row[column.key]);
  const headers = columns.map((column) => h('th', {
    class: column.kind === 'amount' || column.kind === 'number' ? 'num sortable' : 'sortable',
    'data-key': column.key,
    onclick: () => {
      state.descending = state.sortKey === column.key ? !state.descending : false;
      state.sortKey = column.key;
      render();
    },
  }, column.label));

  function visibleRows() {
    const needle = state.filter.trim().toLowerCase();
    let shown = needle
      ? rows.filter((row) => columns.some((column) => String(valueOf(column, row) ?? '').toLowerCase().includes(needle)))
      : rows.slice();
    if (state.sortKey !== null) {
      const column = columns.find((c) => c.key === state.sortKey);
      shown.sort((a, b) => compare(column, valueOf(column, a), valueOf(column, b)));
      if (state.descending) shown.reverse();
    }
    return shown;
  }

  function render() {
    const shown = visibleRows();
    body.replaceChildren(...shown.map((row) => h('tr', {},
      columns.map((column) => h('td', { class: column.kind === 'amount' || column.kind === 'number' ? 'num' : ['date', 'code'].includes(column.kind) ? 'nowrap' : null },
        column.cell ? column.cell(row) : String(valueOf(column, row) ?? '')))))); 
    for (const header of headers) {
      header.classList.toggle('sorted', header.dataset.key === state.sortKey);
      header.classList.toggle('descending', header.dataset.key === state.sortKey && state.descending);
    }
    count.textContent = t('common.rows', { shown: shown.length, total: rows.length });
  }

  const filter = h('input', {
    type: 'search', class: 'filter', placeholder: t('common.filter'), 'aria-label': t('common.filter'),
    oninput: (event) => { state.filter = event.target.value; render(); },
  });
  const exportButton = h('button', {
    type: 'button', class: 'export',
    onclick: () => downloadCsv(options.csvName ?? 'table.csv', columns, visibleRows(), valueOf),
  }, t('common.export_csv'));
  const xlsxButton = h('button', {
    type: 'button', class: 'export',
    onclick: () => {
      const shown = visibleRows();
      const name = (options.csvName ?? 'table.csv').replace(/\.csv$/, '');
      download(`${name}.xlsx`, xlsxBlob(name, columns.map((column) => column.label),
        shown.map((row) => columns.map((column) => valueOf(column, row)))));
    },
  }, t('common.export_xlsx'));
  render();
  return h('div', { class: 'table-wrap', 'data-test': options.id ?? null },
    h('div', { class: 'table-tools' }, filter, exportButton, xlsxButton, count),
    h('table', {}, h('thead', {}, h('tr', {}, headers)), body));
}

function compare(column, a, b) {
  if (column.kind === 'amount') {
    const x = amountMinor(a) ?? 0n;
    const y = amountMinor(b) ?? 0n;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (column.kind === 'number') return (Number(a) || 0) - (Number(b) || 0);
  return String(a ?? '').localeCompare(String(b ?? ''), 'zh-CN');
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
export function csvText(columns, rows, valueOf) {
  const field = (value) => {
    const text = String(value ?? '');
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [columns.map((column) => field(column.label)).join(',')];
  for (const row of rows) lines.push(columns.map((column) => field(valueOf(column, row))).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

function downloadCsv(name, columns, rows, valueOf) {
  download(name, new Blob([csvText(columns, rows, valueOf)], { type: 'text/csv;charset=utf-8' }));
}

function download(name, blob) {
  const link = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}
