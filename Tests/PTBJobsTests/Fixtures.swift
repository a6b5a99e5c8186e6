import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Synchronization

/// Replays scheduler output: each call is recorded, and answered by the first rule whose
/// executable matches (rules can be swapped between steps of a test).
final class FakeExecutor: CommandExecuting {
    typealias Rule = @Sendable (Command) -> (Termination, String)?
    private let state = Mutex<(rules: [Rule], calls: [Command])>(([], []))

    init(_ rules: [Rule] = []) { state.withLock { $0.rules = rules } }

    func setRules(_ rules: [Rule]) { state.withLock { $0.rules = rules } }
    var calls: [Command] { state.withLock { $0.calls } }
    var lines: [String] { calls.map(\.display) }

    func execute(_ command: Command) async throws -> (Termination, String) {
        let rules = state.withLock { s -> [Rule] in
            s.calls.append(command)
            return s.rules
        }
        for r in rules { if let out = r(command) { return out } }
        return (.exited(127), "\(command.executable): not faked")
    }

    static func answer(_ exe: String, _ out: String, status: Int32 = 0) -> Rule {
        { $0.executable == exe ? (.exited(status), out) : nil }
    }
}

func temporaryDirectory(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ptbjobs-\(safe)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A fixed sweep for golden tests: its paths do not depend on the machine.
func goldenSpec(backend: BackendKind = .slurm) -> SweepSpec {
    var s = SweepSpec(experiment: "march", agents: ["claude", "codex"], models: ["Qwen/Qwen3-1.7B-Base"], tasks: ["gsm8k"],
                      seeds: [0, 1], hours: [10], gpus: [1], backend: backend, resultsDir: "/shared/ptb")
    s.resources = SweepResources(cpus: 16, memory: "128G", disk: "400G", gpuType: "h100", gpuName: "NVIDIA H100 80GB HBM3",
                                 partition: "gpu", account: "mlgroup", qos: "normal", extraDirectives: ["--constraint=ib"])
    s.throttle = SweepThrottle(maxConcurrent: 3, concurrencyLimits: ["user.gemini:1250"], licenses: ["claude:2"])
    return s
}

func at(_ iso: String) -> Date { Timestamps.parse(iso)! }

enum Samples {
    /// `squeue --json` of Slurm 22.05.8 (trimmed to the fields ptb reads plus a few neighbours):
    /// array 4100 (throttle %2) with task 0 running, task 1 completing, tasks 2-3 still one pending
    /// record; plus another user's plain job.
    static let squeue2205 = """
        {
          "meta": {"plugin": {"type": "openapi\\/v0.0.38", "name": "Slurm OpenAPI v0.0.38"},
                   "Slurm": {"version": {"major": 22, "micro": 8, "minor": 5}, "release": "22.05.8"}},
          "errors": [],
          "jobs": [
            {"account": "mlgroup", "array_job_id": 4100, "array_task_id": 0, "array_max_tasks": 2, "array_task_string": "",
             "job_id": 4101, "job_state": "RUNNING", "state_reason": "None", "nodes": "gpu07", "exit_code": 0,
             "gres_detail": ["gpu:h100:1(IDX:3)"], "name": "ptb-march", "partition": "gpu", "time_limit": 690},
            {"account": "mlgroup", "array_job_id": 4100, "array_task_id": 1, "array_max_tasks": 2, "array_task_string": "",
             "job_id": 4102, "job_state": "COMPLETING", "state_reason": "None", "nodes": "gpu02", "exit_code": 0,
             "gres_detail": ["gpu:h100:1(IDX:0)"], "name": "ptb-march", "partition": "gpu", "time_limit": 690},
            {"account": "mlgroup", "array_job_id": 4100, "array_task_id": null, "array_max_tasks": 2, "array_task_string": "2-3%2",
             "job_id": 4100, "job_state": "PENDING", "state_reason": "JobArrayTaskLimit", "nodes": "", "exit_code": 0,
             "gres_detail": [], "name": "ptb-march", "partition": "gpu", "time_limit": 690},
            {"account": "other", "array_job_id": 0, "array_task_id": null, "array_max_tasks": 0, "array_task_string": "",
             "job_id": 3999, "job_state": "PENDING", "state_reason": "Priority", "nodes": "", "exit_code": 0,
             "gres_detail": [], "name": "train", "partition": "gpu", "time_limit": 60}
          ]
        }
        """

    /// The same queue as Slurm 23.02+ prints it: numbers wrapped in {"set","infinite","number"},
    /// job_state a list of flags.
    static let squeue2302 = """
        {"jobs": [
          {"array_job_id": {"set": true, "infinite": false, "number": 4100}, "array_task_id": {"set": true, "infinite": false, "number": 0},
           "array_task_string": "", "job_id": 4101, "job_state": ["RUNNING"], "state_reason": "None", "nodes": "gpu07",
           "exit_code": {"status": ["SUCCESS"], "return_code": {"set": true, "infinite": false, "number": 0}}},
          {"array_job_id": {"set": true, "infinite": false, "number": 4100}, "array_task_id": {"set": false, "infinite": false, "number": 0},
           "array_task_string": "1,3", "job_id": 4100, "job_state": ["PENDING"], "state_reason": "Resources", "nodes": ""}
        ]}
        """

    /// `sacct --json -X --jobs=4100` of Slurm 22.05 (accounting through slurmdbd): task 0 done,
    /// 1 failed (exit 3), 2 hit its time limit, 3 cancelled, 4 preempted, 5 node failure, 6 OOM, 7-8 pending.
    static let sacct2205 = """
        slurm_load_partitions: warning: something harmless
        {
          "meta": {"plugin": {"type": "openapi\\/dbv0.0.38", "name": "Slurm OpenAPI DB v0.0.38"}},
          "errors": [],
          "jobs": [
            \(sacctJob(4101, task: 0, state: "COMPLETED", status: "SUCCESS", code: 0)),
            \(sacctJob(4102, task: 1, state: "FAILED", status: "FAILED", code: 3)),
            \(sacctJob(4103, task: 2, state: "TIMEOUT", status: "SUCCESS", code: 0)),
            \(sacctJob(4104, task: 3, state: "CANCELLED", status: "SIGNALED", code: 0)),
            \(sacctJob(4105, task: 4, state: "PREEMPTED", status: "SIGNALED", code: 0)),
            \(sacctJob(4106, task: 5, state: "NODE_FAIL", status: "SUCCESS", code: 0)),
            \(sacctJob(4107, task: 6, state: "OUT_OF_MEMORY", status: "FAILED", code: 0)),
            {"account": "mlgroup", "array": {"job_id": 4100, "limits": {"max": {"running": {"tasks": 3}}}, "task": "7-8%3", "task_id": null},
             "exit_code": {"status": "PENDING", "return_code": 0}, "job_id": 4100, "name": "ptb-march", "nodes": "None assigned",
             "partition": "gpu", "state": {"current": "PENDING", "reason": "JobArrayTaskLimit"}, "steps": []}
          ]
        }
        """

    static func sacctJob(_ id: Int, task: Int, state: String, status: String, code: Int) -> String {
        """
        {"account": "mlgroup", "allocation_nodes": 1,
             "array": {"job_id": 4100, "limits": {"max": {"running": {"tasks": 3}}}, "task": null, "task_id": \(task)},
             "cluster": "hpc", "derived_exit_code": {"status": "SUCCESS", "return_code": 0},
             "exit_code": {"status": "\(status)", "return_code": \(code)}, "group": "ml", "job_id": \(id), "name": "ptb-march",
             "nodes": "gpu0\(task)", "partition": "gpu", "qos": "normal", "required": {"CPUs": 16, "memory": 131072},
             "state": {"current": "\(state)", "reason": "None"}, "steps": [], "user": "ben", "working_directory": "/shared/ptb/march"}
        """
    }

    /// `scontrol show job 1` on the live test cluster (Slurm 22.05.8, accounting off), array 1 with
    /// 4 tasks, trimmed to two records and one pending one.
    static let scontrol2205 = """
        JobId=1 ArrayJobId=1 ArrayTaskId=3 ArrayTaskThrottle=1 JobName=wrap
           UserId=root(0) GroupId=root(0) MCS_label=N/A
           Priority=4294901759 Nice=0 Account=(null) QOS=(null)
           JobState=COMPLETED Reason=None Dependency=(null)
           Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0
           RunTime=00:00:20 TimeLimit=UNLIMITED TimeMin=N/A
           NodeList=vm
           BatchHost=vm
           TresPerNode=gres:gpu:1
           

        JobId=3 ArrayJobId=1 ArrayTaskId=1 ArrayTaskThrottle=1 JobName=wrap
           UserId=root(0) GroupId=root(0) MCS_label=N/A
           JobState=FAILED Reason=NonZeroExitCode Dependency=(null)
           Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=1:0
           NodeList=vm
           

        JobId=5 ArrayJobId=1 ArrayTaskId=4-5 ArrayTaskThrottle=1 JobName=wrap
           JobState=PENDING Reason=JobArrayTaskLimit Dependency=(null)
           Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0
           NodeList=(null)

        """

    /// `condor_q -json` (HTCondor 10.x) for cluster 812: proc 0 running, 1 idle, 2 held, 3 idle after an eviction.
    static let condorQ = """
        [
        {
          "ClusterId": 812,
          "ProcId": 0,
          "JobStatus": 2,
          "RemoteHost": "slot1_1@i101.internal.cluster.is.localnet",
          "NumJobStarts": 1
        }
        ,
        {
          "ClusterId": 812,
          "ProcId": 1,
          "JobStatus": 1,
          "NumJobStarts": 0
        }
        ,
        {
          "ClusterId": 812,
          "ProcId": 2,
          "JobStatus": 5,
          "HoldReason": "Error from slot1_2@i102: Failed to execute '/bin/bash': permission denied",
          "NumJobStarts": 1
        }
        ,
        {
          "ClusterId": 812,
          "ProcId": 3,
          "JobStatus": 1,
          "LastRemoteHost": "slot1_1@i103.internal.cluster.is.localnet",
          "NumJobStarts": 1
        }
        ]
        """

    /// `condor_history -json` for cluster 811: 0 completed, 1 exit 2, 2 killed by signal 9,
    /// 3 removed by condor_rm, 4 removed by the periodic_remove wall-time rule.
    static let condorHistory = """
        [
        {"ClusterId": 811, "ProcId": 0, "JobStatus": 4, "ExitCode": 0, "ExitBySignal": false},
        {"ClusterId": 811, "ProcId": 1, "JobStatus": 4, "ExitCode": 2, "ExitBySignal": false},
        {"ClusterId": 811, "ProcId": 2, "JobStatus": 4, "ExitBySignal": true, "ExitSignal": 9},
        {"ClusterId": 811, "ProcId": 3, "JobStatus": 3, "RemoveReason": "via condor_rm (by user ben)"},
        {"ClusterId": 811, "ProcId": 4, "JobStatus": 3, "RemoveReason": "The job attribute PeriodicRemove expression '(JobStatus == 2) && (time() - EnteredCurrentStatus > 41400)' evaluated to TRUE"}
        ]
        """
}
