/**
 * The suite mutation testing runs (vitest.mutation.config.ts): the test files that judge model/kernel,
 * imported into one file, in this order.
 *
 * One file, because Stryker runs the tests that reach each mutant in a fresh vitest run, and each
 * test file of a run imports the model anew: with twenty files a surviving mutant paid twenty
 * imports, and the imports were most of the time of a run. The order is the cost of a killed mutant
 * (the run stops at the first failure): the files that kill many mutants per second come first (the
 * names flags.ts prints, the golden timelines and the replayed regressions, which notice any change
 * of trace or of the questions asked, then the pinned scenarios), the random campaign last, where it
 * costs time only for the mutants everything else let through.
 *
 * Not part of `npm test` (its files run there on their own). A test file added under
 * properties/mutation/ that judges model/kernel is added here too.
 */
import './format.test.ts';
import '../timelines.test.ts';
import '../regressions.test.ts';
import './complete.test.ts';
import './partialWait.test.ts';
import './pages.test.ts';
import './violations.test.ts';
import './bounds.test.ts';
import './bioSet.test.ts';
import './submission.test.ts';
import './candidateFixes.test.ts';
import './branches.test.ts';
import '../seed/completion.test.ts';
import '../seed/fidelity.test.ts';
import '../seed/flags.test.ts';
import '../seed/inline.test.ts';
import '../seed/kernel612.test.ts';
import '../seed/reads.test.ts';
import '../seed/releases.test.ts';
import '../seed/writes.test.ts';
import '../invariants/partial.test.ts';
import '../runtime/determinism.test.ts';
import '../runtime/flags.test.ts';
import '../runtime/recycle.test.ts';
import '../world/fs.test.ts';
import '../world/scriptedGeneric.test.ts';
import '../world/disk.litmus.test.ts';
import './dioEndYield.test.ts';
import './inlineRace.test.ts';
import './tracing.test.ts';
import '../campaign.test.ts';
