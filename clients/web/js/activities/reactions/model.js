// What the reactions parts share.

export const REACTIONS = { type: "reactions", noun: "reactions" };

export const DEFAULT_EMOJIS = ["👍", "❤️", "😂", "👏", "🎉"];
