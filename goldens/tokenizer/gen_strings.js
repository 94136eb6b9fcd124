// Writes strings.jsonl: the deterministic (seeded) test strings whose Rust
// encodings are lab/tokenize's goldens. One JSON string per line.
//
//   node gen_strings.js > strings.jsonl
'use strict';

let seed = 20240611;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const cp = (lo, hi) => String.fromCodePoint(int(lo, hi));

const words = ('the a an story film movie life result slice emotions awkward compelling refuses simple ' +
  'and of to is was it this that with for not but actor director plot scene music cinema ' +
  'beautiful boring brilliant terrible masterpiece unwatchable hilarious tedious charming ' +
  'performance character dialogue ending twist audience screenplay cinematography sequel ' +
  'running time minutes hours really very quite somewhat never always however although ' +
  'unbelievably extraordinarily antidisestablishmentarianism supercalifragilistic pneumonia ' +
  'internationalization tokenizer transformers attention gradient embedding').split(' ');
const puncts = ['.', ',', '!', '?', ';', ':', '-', '--', '...', '(', ')', '"', "'", '—', '–', '…', '«', '»', '¿', '¡', '“', '”', '‘', '’', '・', '、', '。', '「', '」', '【', '】'];
const samples = {
  accents: ['café', 'naïve', 'résumé', 'Ångström', 'façade', 'jalapeño', 'Zürich', 'São Paulo', 'Dvořák', 'Łódź', 'Şişli', 'Ærøskøbing', 'crème brûlée', 'El Niño', 'Bjørn', 'Ḱ', 'ǅ', 'ǈ', 'Ω', 'ﬀ'],
  cjk: ['你好世界', '我爱电影', '中华人民共和国', '電影很好看', '漢字テスト', '一二三四五', '𠀀𠀁𪜀', '𫝀𫠝𬺰', '〇', '㐀㐁'],
  japanese: ['こんにちは', 'カタカナ', 'ｶﾀｶﾅ', '映画はとても面白かった', 'ひらがなとカタカナと漢字', 'ー', 'ゔ', 'ヴァ'],
  korean: ['안녕하세요', '영화가 정말 재미있었어요', '한국어', '각', '각'],
  rtl: ['مرحبا بالعالم', 'الفيلم رائع', 'שלום עולם', 'הסרט היה טוב', 'بِسْمِ', 'עִבְרִית', 'ﻻ'],
  indic: ['नमस्ते दुनिया', 'फ़िल्म', 'हिन्दी', 'ক্ষ', 'தமிழ்', 'ಕನ್ನಡ', 'മലയാളം', 'ภาษาไทย', 'สวัสดีครับ', 'ພາສາລາວ', 'မြန်မာ', 'ខ្មែរ', 'සිංහල', 'ગુજરાતી', 'ਪੰਜਾਬੀ'],
  emoji: ['😀', '👍', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇺🇸', '🇯🇵', '🇪🇺', '❤️', '✌🏿', '🧑🏻‍💻', '🥰', '🫠', '🪿', '#️⃣', '1️⃣', '©️', '™', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
  controls: ['\t', '\r', '\n', '\r\n', '\x00', '\x07', '\x1b', '\x7f', '\u0085', '\u000b', '\u000c', '\ufffd', '\u0001'],
  zerowidth: ['\u200b', '\u200c', '\u200d', '\ufeff', '\u2060', '\u00ad', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u180e', '\u061c', '\u034f', '\ufe0f', '\ufe0e'],
  privateuse: ['\ue000', '\uf8ff', '\u{f0000}', '\u{10fffd}', '\ue123'],
  spaces: ['\u00a0', '\u2003', '\u3000', '\u202f', '\u2002', '\u2009', '\u200a', '\u205f', '\u1680', '\u2028', '\u2029', '\u2007'],
  compat: ['\uf900', '\uf901', '\uf9dc', '\ufa10', '\ufa6d', '\u{2f800}', '\u{2fa1d}', '豈更車'],
  specialcase: ['İ', 'İstanbul', 'ß', 'STRASSE', 'Straße', 'ﬁ', 'ﬁnance', 'ﬂ', 'ΣΊΣΥΦΟΣ', 'Σ', 'ς', 'ΌΣΟΣ', 'ǰ', 'ŉ', 'ẞ', 'Ꭰ', 'ꭰ', 'ı', 'Iİıi', 'K', 'Å', 'ᾈ', 'ΐ'],
  combining: ['e\u0301', 'a\u0308', 'o\u0302\u0323', 'n\u0303', 'A\u030a', 'x\u0300\u0301\u0302', '\u0301', 'Z\u0335\u0358\u0327a\u0336\u0321l\u0334g\u0338o', 'i\u0307', 'ก\u0e48', 'क\u093e', 'क\u094d\u0937', '\u20dd'],
  math: ['∑', '∫', '∞', '≈', '≠', '≤', '√2', 'π≈3.14159', 'x²+y²=z²', '½', '⅓', '∀x∈ℝ', '⊕', '∂f/∂x', 'ℵ₀', '𝔸𝕓𝒸', '𝟙𝟚', '①②③', 'Ⅻ', '°C', '±', '×÷', '‰', '€100', '£5', '¥', '₹', '$3.50', '¢'],
  numbers: ['0', '42', '3.14159', '1,000,000', '1e-10', '-273.15', '2024-06-11', '12:30:45', '+1 (555) 123-4567', '0xDEADBEEF', '٣٤٥', '१२३', '１２３', '10⁶'],
  urls: ['https://www.example.com/path?query=1&x=y#frag', 'http://localhost:8080/', 'user@example.com', 'ftp://files.example.org/a_b-c.txt', 'www.imdb.com/title/tt0111161', '#hashtag', '@username'],
  code: ['func main() { fmt.Println("hi") }', 'if (a && b || !c) { return x[i]; }', 'SELECT * FROM users WHERE id = 1;', '<div class="x">&amp;</div>', 'x := map[string]int{"a": 1}', 'λx.x', '$HOME/.bashrc', 'a_b_c', '__init__', 'C:\\Windows\\System32', '`backticks`', '~/~/~'],
  special: ['[CLS]', '[SEP]', '[PAD]', '[MASK]', '[UNK]', '[cls]', '[CLS][SEP]', 'a[MASK]b', ' [SEP] ', '[[CLS]]', '<|endoftext|>', '<s>', '</s>'],
};
const allSamples = Object.values(samples).flat();
const scripts = [[0x41, 0x5a], [0x61, 0x7a], [0xc0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f],
  [0x1100, 0x11ff], [0x2000, 0x206f], [0x2100, 0x22ff], [0x2e00, 0x2e7f], [0x3000, 0x30ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xf900, 0xfaff],
  [0xfe00, 0xfe6f], [0xff00, 0xffef], [0x1f300, 0x1faff], [0x20000, 0x2a6df], [0x2b740, 0x2b93f], [0x2f800, 0x2fa1f], [0x0, 0x7f], [0x80, 0xff], [0x300, 0x36f],
  [0x1ab0, 0x1aff], [0xa7c0, 0xa7ff], [0x10d40, 0x10d8f], [0x11900, 0x1195f], [0xe0000, 0xe007f], [0x1c80, 0x1c8f], [0x0890, 0x08ff], [0x2e40, 0x2e5f]];

function sentence(n) {
  const w = [];
  for (let i = 0; i < n; i++) {
    let x = pick(words);
    if (rand() < 0.15) x = x[0].toUpperCase() + x.slice(1);
    if (rand() < 0.05) x = x.toUpperCase();
    w.push(x);
    if (rand() < 0.12) w.push(pick(puncts));
  }
  return w.join(rand() < 0.5 ? ' ' : ' ').replace(/ ([.,!?;:])/g, rand() < 0.5 ? '$1' : ' $1') + pick(['.', '!', '?', ' .', '']);
}
function review() {
  const parts = [];
  for (let i = int(1, 6); i > 0; i--) parts.push(sentence(int(4, 25)));
  let s = parts.join(' ');
  if (rand() < 0.3) s = s.replace(/ /, ' <br /><br /> ');
  if (rand() < 0.3) s += ' ' + int(1, 10) + '/10';
  return s;
}
function mixed() {
  const parts = [];
  for (let i = int(1, 8); i > 0; i--) {
    const r = rand();
    if (r < 0.35) parts.push(pick(words));
    else if (r < 0.75) parts.push(pick(allSamples));
    else if (r < 0.9) parts.push(pick(puncts));
    else { const [lo, hi] = pick(scripts); let s = ''; for (let j = int(1, 4); j > 0; j--) s += cp(lo, hi); parts.push(s); }
  }
  const seps = [' ', '', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', '\u200b'];
  return parts.map((p, i) => (i ? pick(seps) : '') + p).join('');
}
function randomCodepoints() {
  let s = '';
  for (let i = int(1, 12); i > 0; i--) {
    let c;
    do { c = int(0, 0x10ffff); } while (c >= 0xd800 && c <= 0xdfff);
    s += rand() < 0.5 ? String.fromCodePoint(c) : cp(...pick(scripts));
    if (rand() < 0.3) s += ' ';
  }
  return s;
}

const out = [];
const add = (s) => out.push(s);
// Every sample alone, in a sentence, and glued to words.
for (const s of allSamples) {
  add(s);
  add('The movie ' + s + ' was great.');
  add('word' + s + 'word');
}
add('the story , like life , refuses to be simple , and the result is a compelling slice of awkward emotions .');
for (const s of ['', ' ', '  ', '\t', '\n', '\r\n', ' \t \n ', '\u00a0', '\u3000', '\u200b', '\u00ad', '\x00', '\ufeff\u200b\u2060']) add(s);
// Long words: at, just over, and far over max_input_chars_per_word (100), in ASCII and multi-byte.
for (const n of [99, 100, 101, 150, 300]) {
  add('a'.repeat(n));
  add('é'.repeat(n));
  add('ж'.repeat(n));
  add('x ' + 'ab'.repeat(Math.ceil(n / 2)).slice(0, n) + ' y');
}
add('pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(3));
add('Ж'.repeat(40) + ' ' + 'Я'.repeat(60));
// Punctuation runs.
for (let i = 0; i < 60; i++) { let s = ''; for (let j = int(2, 20); j > 0; j--) s += pick(puncts.concat(['!', '?', '#', '$', '%', '&', '*', '+', '=', '<', '>', '@', '^', '_', '`', '|', '~', '\\', '/'])); add(s); }
// Long texts that need truncation at 512 (and at 128 / 16).
for (let i = 0; i < 40; i++) { const p = []; for (let j = int(15, 45); j > 0; j--) p.push(sentence(int(8, 30))); add(p.join(' ')); }
for (let i = 0; i < 10; i++) { const p = []; for (let j = int(80, 200); j > 0; j--) p.push(pick(allSamples)); add(p.join(' ')); }
for (let i = 0; i < 700; i++) add(sentence(int(3, 30)));
for (let i = 0; i < 400; i++) add(review());
for (let i = 0; i < 600; i++) add(mixed());
for (let i = 0; i < 300; i++) add(randomCodepoints());
// NFC and NFD forms of the same accented text.
for (const s of samples.accents.concat(samples.specialcase, samples.korean, samples.combining)) { add(s.normalize('NFD')); add(s.normalize('NFC')); add(s.normalize('NFKC')); }
process.stdout.write(out.map((s) => JSON.stringify(s)).join('\n') + '\n');
