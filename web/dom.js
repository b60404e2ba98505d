// Building elements without innerHTML: every text from the ledger (a name, a note, a
// description) becomes a text node, so none of it can become markup or script.

// h('a', {href: '#/x', class: 'y'}, 'text', child, ...): an element with attributes and children
// (strings become text nodes; null and false are skipped; arrays are flattened).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'onclick' || name === 'onchange' || name === 'oninput') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// A titled section of a page.
export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

// Key figures as a definition list: [[label, value], ...].
export function figures(pairs, testId) {
  return h('dl', { class: 'figures', 'data-test': testId },
    pairs.map(([label, value, key]) => h('div', { 'data-figure': key ?? null }, h('dt', {}, label), h('dd', {}, value))));
}
