package io.flinkwire.agent;

import java.time.Duration;

/**
 * Holds back the cancellation of a query's job in its first moments, while its tasks are likely
 * still being deployed.
 *
 * <p>Flink 2.3.0 kills the whole TaskManager when a collect sink is cancelled before it opened:
 * its close() throws in the task's exception handler, a fatal error. Every query with a task on
 * that TaskManager then fails until a supervisor restarts it, and no slot is free meanwhile
 * (NoResourceAvailableException). Clients that open a query and close it at once (schema probes,
 * a cancel right after submission) hit that window often: 1 TaskManager lost in 25 such closes
 * measured on the quick start's cluster. The JobManager's REST API cannot tell when the window
 * ends (its job details are cached for {@code web.refresh-interval}, 3 s by default: tasks that
 * run show as SCHEDULED), so the cancel waits until the job is {@link #MIN_AGE} old, well past
 * the 0.1–0.5 s a deployment takes on a working cluster. A close later than that cancels at once;
 * one right after submission returns at once too, and its job is cancelled when it is that old.
 */
final class TaskSettling {
    /** How old a job must be before it is cancelled. */
    static final Duration MIN_AGE = Duration.ofMillis(1500);

    private TaskSettling() {}

    /** Whether a job submitted at {@code submittedNanos} ({@link System#nanoTime()}) is not {@link #MIN_AGE} old yet. */
    static boolean tooYoung(long submittedNanos) {
        return System.nanoTime() - submittedNanos < MIN_AGE.toNanos();
    }

    /** Sleeps until {@link #MIN_AGE} has passed since {@code submittedNanos} ({@link System#nanoTime()}). */
    static void awaitDeployed(long submittedNanos) {
        long left = MIN_AGE.toNanos() - (System.nanoTime() - submittedNanos);
        if (left <= 0) return;
        try {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
