// Award ballots in the admin view: how the ballot on stage reads in the events table.

import { registerKind } from "../../core/kinds.js";
import { BALLOT } from "./model.js";

registerKind({
  ...BALLOT,
  admin: {
    /** The "On stage" cell: the ballot's title (the shell adds the status). */
    onStage: (current) => current.title,
  },
});
