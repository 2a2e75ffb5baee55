// What the reactions parts share.

export const REACTIONS = { type: "reactions", noun: "reactions", stage: false };

export const DEFAULT_EMOJIS = ["👍", "❤️", "😂", "👏", "🎉"];
