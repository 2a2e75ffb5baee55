// Pitch sessions in the admin view: how the session on stage reads in the events table.

import { registerKind } from "../../core/kinds.js";
import { PITCH } from "./model.js";

registerKind({
  ...PITCH,
  admin: {
    /** The "On stage" cell: the session's title (the shell adds the status). */
    onStage: (current) => current.title,
  },
});
