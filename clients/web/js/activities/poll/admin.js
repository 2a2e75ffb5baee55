// Polls in the admin view: how the poll on stage reads in the events table.

import { registerKind } from "../../core/kinds.js";
import { POLL } from "./model.js";

registerKind({
  ...POLL,
  admin: {
    /** The "On stage" cell: the question (the shell adds the status). */
    onStage: (current) => current.question,
  },
});
