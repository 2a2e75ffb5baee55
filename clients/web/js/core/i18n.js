// The pages' language: messages from JSON catalogues that translators edit without
// touching code (i18n/<lang>.json, listed in i18n/languages.json; see
// docs/translations.md), chosen from the person's stored choice, the page's `lang`
// parameter or the browser's languages; numbers, percentages and times formatted with
// the browser's Intl for that language.
//
// Keys are namespaced: `common.*` and `connection.*` (shared), `errors.<code>` (error
// codes, docs/protocol.md), `attendee.*`, `screen.*`, and one namespace per activity kind
// (`poll.*`, later `quiz.*`, ...). A message is a string with `{name}` placeholders, or
// plural forms by CLDR category (`{"one": "{count} answer", "other": "{count} answers"}`,
// chosen with Intl.PluralRules for `count`). What people typed never goes through t():
// it is a placeholder's value, inserted as text.

import { readParams, storage } from "./dom.js";

const BASE = "/static/i18n/";
const CHOICE_KEY = "plenary.lang";
const SOURCE = "en"; // the catalogue every other one translates; the fallback

const state = {
  locale: SOURCE, // the catalogue in use
  formatLocale: SOURCE, // for Intl: the browser's own tag when it is of the same language
  languages: { [SOURCE]: "English" }, // code -> the language's own name
  messages: {},
  source: {},
  listeners: [],
  formatters: new Map(),
};

async function fetchJson(name) {
  try {
    const response = await fetch(`${BASE}${name}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (err) {
    // The page still works: in English, or with the keys, but never blank.
    console.warn(`Plenary: could not load ${BASE}${name}: ${err && err.message}`);
    return null;
  }
}

/** The catalogue code for a language tag ("fr-CH" -> "fr"), or null. */
function match(tag, available) {
  if (!tag) return null;
  const lower = String(tag).toLowerCase();
  const codes = Object.keys(available);
  return (
    codes.find((code) => code.toLowerCase() === lower) ||
    codes.find((code) => code.toLowerCase() === lower.split("-")[0]) ||
    null
  );
}

/** The browser's tag to format with when it is of language `code` (for "fr-CH" number
 *  formats with the fr catalogue), else `code` itself. */
function formatLocaleFor(code) {
  const primary = code.split("-")[0].toLowerCase();
  const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  const own = tags.find((tag) => tag && String(tag).toLowerCase().split("-")[0] === primary);
  try {
    return Intl.NumberFormat.supportedLocalesOf([own || code]).length ? own || code : code;
  } catch {
    return code;
  }
}

/**
 * Load the catalogues and pick the language; call once before the page draws anything.
 * `only`: the languages this page offers (e.g. `["en"]` for the English-only staff
 * pages). Order of choice: the page's `?lang=` parameter, the stored choice (the
 * switcher), the browser's languages, English.
 */
export async function setupI18n({ only = null } = {}) {
  const [languages, source] = await Promise.all([fetchJson("languages.json"), fetchJson(`${SOURCE}.json`)]);
  if (languages && typeof languages === "object") state.languages = { ...languages };
  if (only) {
    state.languages = Object.fromEntries(Object.entries(state.languages).filter(([code]) => only.includes(code)));
  }
  if (!(SOURCE in state.languages)) state.languages[SOURCE] = "English";
  state.source = source || {};
  const wanted = [readParams().lang, storage.get(CHOICE_KEY), ...(navigator.languages || [navigator.language])];
  let code = SOURCE;
  for (const tag of wanted) {
    const found = match(tag, state.languages);
    if (found) {
      code = found;
      break;
    }
  }
  await use(code);
  translateDom(document);
}

async function use(code) {
  const messages = code === SOURCE ? state.source : await fetchJson(`${code}.json`);
  state.locale = messages ? code : SOURCE;
  state.messages = messages || state.source;
  state.formatLocale = formatLocaleFor(state.locale);
  state.formatters.clear();
  document.documentElement.lang = state.locale;
  // Every language offered now is left-to-right; a right-to-left catalogue says so.
  document.documentElement.dir = (state.messages._meta && state.messages._meta.dir) || "ltr";
}

/** Switch to `code` (the language switcher): remembered on this device. */
export async function setLocale(code) {
  if (!(code in state.languages)) return;
  storage.set(CHOICE_KEY, code);
  const url = new URL(window.location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", code); // a reload keeps the choice
    window.history.replaceState(null, "", url);
  }
  await use(code);
  translateDom(document);
  for (const listener of state.listeners) {
    try {
      listener(code);
    } catch (err) {
      console.error(err);
    }
  }
}

/** The catalogue in use ("fr"). */
export function locale() {
  return state.locale;
}

/** The languages offered: code -> the language's own name ("Français"). */
export function languages() {
  return { ...state.languages };
}

/** Call `listener(code)` after every switch of language (redraw what the page built). */
export function onLocaleChange(listener) {
  state.listeners.push(listener);
}

function pluralCategory(loc, count) {
  try {
    return new Intl.PluralRules(loc).select(Number(count) || 0);
  } catch {
    return count === 1 ? "one" : "other";
  }
}

/** The message for `key` (a plural form picked for `count`), or null. */
function message(key, count) {
  let msg = state.messages[key];
  let loc = state.formatLocale;
  if (msg === undefined) {
    msg = state.source[key]; // a key a translation lacks: English rather than nothing
    loc = SOURCE;
  }
  if (msg && typeof msg === "object") msg = msg[pluralCategory(loc, count)] ?? msg.other;
  return typeof msg === "string" ? msg : null;
}

/** True when the catalogues have `key`. */
export function has(key) {
  return message(key, 1) !== null;
}

function show(value) {
  if (typeof value === "number") return formatNumber(value);
  return value === null || value === undefined ? "" : String(value);
}

const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * The text of `key` with its `{name}` placeholders filled from `params` (numbers are
 * formatted for the language; `count` also picks the plural form). An unknown key is
 * returned as it is, so a missing message shows, but never breaks the page.
 */
export function t(key, params = {}) {
  const msg = message(key, params.count);
  if (msg === null) return key;
  return msg.replace(PLACEHOLDER, (whole, name) => (name in params ? show(params[name]) : whole));
}

/**
 * Like t(), as a list of strings and nodes for el() or replaceChildren(): a placeholder
 * whose value is a Node (a <bdi> with a name, a <strong> with a number) is that node.
 */
export function tParts(key, params = {}) {
  const msg = message(key, params.count);
  if (msg === null) return [key];
  const parts = [];
  let last = 0;
  for (const found of msg.matchAll(PLACEHOLDER)) {
    if (found.index > last) parts.push(msg.slice(last, found.index));
    const name = found[1];
    const value = params[name];
    parts.push(value instanceof Node ? value : name in params ? show(value) : found[0]);
    last = found.index + found[0].length;
  }
  if (last < msg.length) parts.push(msg.slice(last));
  return parts;
}

/**
 * Translate the page's own HTML: `data-i18n="key"` sets an element's text (children
 * with `data-slot="name"` fill the `{name}` placeholders and are kept), and
 * `data-i18n-attr="placeholder:key aria-label:key"` sets attributes.
 */
export function translateDom(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    const slots = {};
    for (const child of node.children) if (child.dataset.slot) slots[child.dataset.slot] = child;
    if (Object.keys(slots).length) node.replaceChildren(...tParts(node.dataset.i18n, slots));
    else node.textContent = t(node.dataset.i18n);
  }
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.trim().split(/\s+/)) {
      const at = pair.indexOf(":");
      if (at > 0) node.setAttribute(pair.slice(0, at), t(pair.slice(at + 1)));
    }
  }
}

function formatter(kind, options, make) {
  const id = `${kind}:${JSON.stringify(options)}`;
  let found = state.formatters.get(id);
  if (!found) {
    try {
      found = make(state.formatLocale, options);
    } catch {
      found = make(SOURCE, options);
    }
    state.formatters.set(id, found);
  }
  return found;
}

/** A number as the language writes it ("1,234.5", "1 234,5"). */
export function formatNumber(n, options = {}) {
  return formatter("n", options, (loc, opts) => new Intl.NumberFormat(loc, opts)).format(n);
}

/** A fraction as a whole percentage ("67%", "67 %"). */
export function formatPercent(fraction) {
  return formatNumber(fraction, { style: "percent", maximumFractionDigits: 0 });
}

/** A time of day ("2:05 PM", "14:05"). */
export function formatTime(ms) {
  const options = { hour: "numeric", minute: "2-digit" };
  return formatter("t", options, (loc, opts) => new Intl.DateTimeFormat(loc, opts)).format(new Date(ms));
}

/** A day, short, as the language writes it ("Tue 14 May", "mar. 14 mai"). */
export function formatDay(ms) {
  const options = { weekday: "short", day: "numeric", month: "short" };
  return formatter("d", options, (loc, opts) => new Intl.DateTimeFormat(loc, opts)).format(new Date(ms));
}

/**
 * Fill a <select> with the languages offered (each option named in its own language) and
 * switch when the person picks one. The choice is remembered on this device.
 */
export function bindLanguageSelect(select) {
  if (!select) return;
  const fill = () => {
    const options = Object.entries(state.languages).map(([code, name]) => {
      const option = document.createElement("option");
      option.value = code;
      option.lang = code;
      option.textContent = name;
      option.selected = code === state.locale;
      return option;
    });
    select.replaceChildren(...options);
  };
  fill();
  // Nothing to choose (the list did not load): no switcher at all.
  (select.closest("[data-language-picker]") || select).hidden = Object.keys(state.languages).length < 2;
  select.addEventListener("change", () => setLocale(select.value));
  onLocaleChange(fill);
}
