// DOM and page helpers shared by every page and every activity kind: URL parameters,
// building elements, text, local storage.
//
// Rule for every page: text that comes from people (names, questions, options, answers,
// titles) is only ever put in the page with textContent / createTextNode, never as HTML.

/** document.getElementById, short. */
export const $ = (id) => document.getElementById(id);

/** Query string and URL fragment parameters merged (the fragment wins). */
export function readParams(loc = window.location) {
  const out = {};
  const add = (text) => {
    const search = new URLSearchParams(text.replace(/^[?#]/, ""));
    for (const [k, v] of search) out[k] = v;
  };
  add(loc.search || "");
  add(loc.hash || "");
  return out;
}

/** Join codes are case-insensitive; the server keeps them upper case. */
export function normaliseCode(code) {
  return String(code || "").trim().toUpperCase();
}

/** A small DOM helper: el("p", {class: "x", dataset: {a: 1}}, "text", childNode). Strings
 *  become text nodes, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Set an element's text (by id or node), if it exists. */
export function setText(target, text) {
  const node = typeof target === "string" ? document.getElementById(target) : target;
  if (node) node.textContent = text === null || text === undefined ? "" : String(text);
  return node;
}

/** "1 answer", "2 answers". */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** JSON in localStorage, never fatal: private modes may refuse it. */
export const storage = {
  get(key) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw === null ? null : JSON.parse(raw);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null || value === undefined) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage unavailable: the page still works, without resume */
    }
  },
};

/**
 * Run `start` once every script of the page has run. Pages load their shell and the
 * activity kinds' modules as separate module scripts; all of them run before
 * DOMContentLoaded, so the shell sees every registered kind whatever the tags' order.
 */
export function whenLoaded(start) {
  document.addEventListener("DOMContentLoaded", start, { once: true });
}
