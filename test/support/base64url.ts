const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The other spellings of unpadded base64url `text` that decode to the same bytes: its last character
 * carries 2 or 4 bits no byte uses (when the length is 3 or 2 past a multiple of 4), and changing only
 * those gives 3 or 15 siblings. None when the text ends on a whole group.
 */
export function siblingSpellings(text: string): string[] {
  const unusedBits = { 0: 0, 2: 4, 3: 2 }[text.length % 4 as 0 | 2 | 3];
  const last = ALPHABET.indexOf(text.at(-1)!);
  const spellings: string[] = [];
  for (let low = 0; low < 2 ** unusedBits; low++) {
    const index = (last & ~(2 ** unusedBits - 1)) | low;
    if (index !== last) spellings.push(text.slice(0, -1) + ALPHABET[index]);
  }
  return spellings;
}
