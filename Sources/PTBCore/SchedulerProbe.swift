/// How `ptb doctor --backend NAME` tells that a sweep backend's scheduler answers from this
/// machine. Each backend declares its own in its file (PTBJobs' `SweepBackend.doctorProbe`); the
/// doctor lives below PTBJobs, so `ptb doctor` hands it the registry's probes by backend name.
public struct SchedulerProbe: Sendable, Equatable {
    /// Executable first (`sinfo -h -o "%P %a %D"`); exit 0 means the scheduler answered.
    public var command: [String]
    /// The scheduler's name in the report (`Slurm`).
    public var what: String
    /// What to do when it does not answer.
    public var fix: String

    public init(command: [String], what: String, fix: String) {
        self.command = command
        self.what = what
        self.fix = fix
    }
}

extension Array where Element == String {
    /// `a, b or c`: a list of choices in an error's advice.
    public func orList() -> String {
        count <= 1 ? joined() : dropLast().joined(separator: ", ") + " or " + last!
    }
}
