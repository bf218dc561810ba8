/**
 * A small well-formedness check for the SVG the benchmark writes: one root element, every tag
 * closed in order, attributes quoted, no stray `<` or `&`. Enough for our own generated markup;
 * not a general XML parser.
 */
export function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const textPart = xml.slice(i, lt === -1 ? xml.length : lt);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(textPart)) throw new Error(`unescaped & near offset ${i}`);
    if (lt === -1) break;
    if (stack.length === 0 && textPart.trim() !== "") throw new Error(`text outside the root at offset ${i}`);
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) throw new Error(`malformed tag at offset ${lt}: ${xml.slice(lt, lt + 40)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? "nothing"}> at offset ${lt}`);
    } else {
      if (stack.length === 0 && ++roots > 1) throw new Error("more than one root element");
      if (!selfClosing) stack.push(name as string);
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join("> <")}>`);
  if (roots !== 1) throw new Error("no root element");
}
