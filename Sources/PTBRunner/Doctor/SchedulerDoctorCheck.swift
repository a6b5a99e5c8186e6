import Foundation
import PTBProcess

/// The cluster's scheduler, when a sweep will be submitted to it.
struct SchedulerDoctorCheck: DoctorCheck {
    let name = "scheduler"

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        switch ctx.backend {
        case nil, "local"?:
            return [DoctorResult(name, .skip, ctx.backend == nil ? "no scheduler chosen (--backend slurm|htcondor checks one)" : "local backend: no scheduler needed")]
        case "slurm"?:
            return [await probe(ctx, Command("sinfo", ["-h", "-o", "%P %a %D"], environment: ctx.env), what: "Slurm",
                                fix: "load Slurm's client (`module load slurm`), check slurmctld with `scontrol ping`, or submit from a login node")]
        case "htcondor"?:
            return [await probe(ctx, Command("condor_status", ["-totals"], environment: ctx.env), what: "HTCondor",
                                fix: "install HTCondor's client tools and check the pool with `condor_status`")]
        case let other?:
            return [DoctorResult(name, .fail, "unknown backend '\(other)'", fix: "use --backend slurm, htcondor or local")]
        }
    }

    func probe(_ ctx: DoctorContext, _ c: Command, what: String, fix: String) async -> DoctorResult {
        let (t, lines) = await ctx.run(c, seconds: 30)
        guard let t, t.succeeded else {
            return DoctorResult(name, .fail, "\(what) is not reachable: `\(c.display)` " + (t.map { "ended \($0)" } ?? "did not start") + (lines.last.map { ": \($0)" } ?? ""), fix: fix)
        }
        return DoctorResult(name, .pass, "\(what) answers: " + lines.prefix(3).joined(separator: "; "))
    }
}
