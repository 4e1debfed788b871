-- The claim function never JIT-compiles its statement. A SQL function plans its statement without
-- the arguments' values, so on a large log (no statistics needed) the estimated cost passes
-- jit_above_cost (100,000 by default) and every claim round compiled about 90 functions before
-- reading its 1000 index entries: 38 ms per round at 10,000,000 pending rows against 10 ms with
-- JIT off, where 1,000,000 rows stayed under the threshold. The claim cost grew with the backlog
-- again, through the planner's estimate rather than the plan.
ALTER FUNCTION core.fn_observer_claim_batch(text, integer, text, double precision) SET jit = off;
