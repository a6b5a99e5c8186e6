import Foundation
import PTBCore
import PTBProcess

/// `task.sh`: what every job of every backend runs, with the run id as its only argument.
///
/// Keeping this one script for Slurm, HTCondor and the local pool means the scheduler files only
/// map an array index to a run id, and the per-run logic (attempt records, the run's settings,
/// `ptb sweep exec`) is the same everywhere and visible in `--dry-run`.
public enum TaskScript {
    /// - Parameters:
    ///   - ptb: absolute path of the ptb executable the jobs run (shared filesystem).
    ///   - ptbHome: PTB_HOME for the jobs; nil keeps the job's environment.
    ///   - backend: the backend whose jobs run it (default: the one the spec names).
    public static func render(manifest m: SweepManifest, paths: SweepPaths, ptb: String, ptbHome: String?,
                              backend: (any SweepBackend.Type)? = nil) -> String {
        let spec = m.spec
        let fromEnvironment = (backend ?? SweepBackends.type(named: spec.backend))?.jobFromEnvironment ?? []
        var s = """
            #!/bin/bash
            # ptb sweep '\(m.experiment)': runs one run of the sweep, by id. Written by `ptb sweep`; the scheduler
            # files in submit/ call it as `task.sh RUN_ID`. Every start and end is appended to attempts/RUN_ID.jsonl.
            set -u
            RUN="${1:?usage: task.sh RUN_ID}"
            SWEEP_DIR=\(shellQuote(paths.root.path))

            """
        s += "case \"$RUN\" in\n"
        for r in m.runs {
            s += "  \(shellQuote(r.id))) export PTB_AGENT=\(shellQuote(r.agent)) PTB_TASK=\(shellQuote(r.task)) "
            s += "PTB_MODEL=\(shellQuote(r.model)) PTB_SEED=\(r.seed) PTB_HOURS=\(RunSpec.formatHours(r.hours)) PTB_GPUS=\(r.gpus) ;;\n"
        }
        s += "  *) echo \"task.sh: '$RUN' is not a run of this sweep\" >&2; exit 2 ;;\nesac\n"
        s += """
            export PTB_SWEEP_RUN="$RUN" PTB_SWEEP_DIR="$SWEEP_DIR" PTB_SWEEP_RUN_DIR="$SWEEP_DIR/runs/$RUN"
            # Which job this is, as the scheduler names it (its variables, or PTB_SWEEP_JOB set by the submit file or the pool).

            """
        // Only the sweep's own scheduler's variables: a local pool inside a Slurm allocation
        // names its jobs itself.
        let fallback = #"JOB="${PTB_SWEEP_JOB:-local-$$}""#
        if fromEnvironment.isEmpty {
            s += fallback + "\n"
        } else {
            for (i, v) in fromEnvironment.enumerated() {
                s += "\(i == 0 ? "if" : "elif") [ -n \"${\(v.variable):-}\" ]; then JOB=\"\(v.job)\"\n"
            }
            s += "else \(fallback); fi\n"
        }
        s += """
            ATTEMPTS="$SWEEP_DIR/attempts/$RUN.jsonl"
            mkdir -p "$SWEEP_DIR/attempts"
            record() {
              printf '{"event":"%s","job":"%s","host":"%s","pid":%d,"cuda_visible_devices":"%s","at":"%s"%s}\\n' \\
                "$1" "$JOB" "$(hostname -s)" $$ "${CUDA_VISIBLE_DEVICES:-}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${2:-}" >> "$ATTEMPTS"
            }
            child=
            # scancel / condor_rm / preemption send SIGTERM: record it first (the scheduler's SIGKILL may
            # follow within seconds), then pass it on so ptb stops its children and leaves the run resumable.
            # Trapped before the start is recorded: a cancel right after it must still leave its end.
            on_signal() {
              record end ",\\"signal\\":\\"$1\\""
              [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
              exit 143
            }
            trap 'on_signal TERM' TERM
            trap 'on_signal INT' INT
            record start

            """
        if let home = ptbHome { s += "export PTB_HOME=\(shellQuote(home))\n" }
        if let command = spec.command {
            s += "\(command.map(shellQuote).joined(separator: " ")) &\n"
        } else {
            s += "\(shellQuote(ptb)) sweep exec \"$SWEEP_DIR\" \"$RUN\" &\n"
        }
        s += """
            child=$!
            wait "$child"
            rc=$?
            record end ",\\"exit\\":$rc"
            exit $rc

            """
        return s
    }
}
