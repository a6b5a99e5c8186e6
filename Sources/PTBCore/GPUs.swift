import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The NVIDIA device nodes of a host. `devDir` is `/dev` in production; tests point it at a
/// directory of fake nodes, as the live Slurm test does with its fake GRES.
public struct HostGPUs: Sendable, Equatable {
    public var devDir: String

    public init(devDir: String = "/dev") { self.devDir = devDir }

    /// Indices N of the `/dev/nvidiaN` nodes, sorted.
    public func indices() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: devDir)) ?? []
        return names.compactMap { n in n.hasPrefix("nvidia") ? Int(n.dropFirst(6)) : nil }.filter { $0 >= 0 }.sorted()
    }

    /// The nodes every CUDA process needs besides its GPUs' own: the control device, UVM, modeset
    /// and the MIG capability directory (each only if present).
    public func controlNodes() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: devDir)) ?? []
        return names.filter { $0.hasPrefix("nvidia") && Int($0.dropFirst(6)) == nil }.sorted().map { "\(devDir)/\($0)" }
    }

    public func node(_ index: Int) -> String { "\(devDir)/nvidia\(index)" }
}

/// Which of the host's GPUs a run gets, decided before its agent starts, and the numbers to say
/// when it gets none.
///
/// `CUDA_VISIBLE_DEVICES` set by whoever started ptb (Slurm, HTCondor, ptb's local pool, the
/// user) is trusted: those GPUs were assigned to this job, so ptb takes the first k of them and
/// claims nothing. Unset, ptb itself is the one choosing among all of the host's GPUs, so it
/// claims k free ones host-wide (`GPULease`), which keeps concurrent `ptb run --gpus k` on one
/// machine on disjoint GPUs.
public enum GPUSelection: Sendable, Equatable {
    /// Use these host indices (as CUDA_VISIBLE_DEVICES on the host).
    case assigned([String])
    /// Claim `count` of these host indices.
    case claim(count: Int, among: [Int])
    /// Fewer GPUs than asked for: the message with the numbers.
    case short(String)

    public static func decide(requested k: Int, visibleDevices: String?, host: [Int]) -> GPUSelection {
        let nodes = host.isEmpty ? "this node has no /dev/nvidia* device" : "this node has \(host.count) (/dev/nvidia\(host.map(String.init).joined(separator: ",")))"
        if let visible = visibleDevices.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let ids = visible.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard ids.count >= k else {
                return .short("asked for \(k) GPU(s) but CUDA_VISIBLE_DEVICES=\"\(visible)\" gives this job \(ids.count); \(nodes). Request \(k) GPU(s) from the scheduler (Slurm: --gres=gpu:\(k)) or run with --gpus \(ids.count)")
            }
            return .assigned(Array(ids.prefix(k)))
        }
        guard host.count >= k else {
            return .short("asked for \(k) GPU(s) but \(nodes). Run with --gpus \(host.count) or on a node with \(k) GPU(s)")
        }
        return .claim(count: k, among: host)
    }

    /// `CUDA_VISIBLE_DEVICES` inside a sandbox that shows only the run's device nodes: CUDA
    /// enumerates only the devices it can open, so their indices are 0..<k there (as in a
    /// container or a device-constrained Slurm job).
    public static func insideSandbox(count: Int) -> String { (0..<count).map(String.init).joined(separator: ",") }

    /// Host indices named by a CUDA_VISIBLE_DEVICES value; nil when it names GPUs another way
    /// (UUIDs, MIG devices), which cannot be mapped to device nodes without NVML.
    public static func indices(_ visibleDevices: String) -> [Int]? {
        let parts = visibleDevices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let ints = parts.compactMap { Int($0) }
        return ints.count == parts.count ? ints : nil
    }
}

/// GPUs claimed host-wide for as long as this object lives: one `flock` per GPU on
/// `<lockDir>/gpu<N>.lock`. flock belongs to the open file description, so two claims conflict
/// whether they come from two processes or two tasks of one; the kernel drops the locks when the
/// holder dies, so a SIGKILLed ptb leaves no GPU claimed.
public final class GPULease: Sendable {
    public let indices: [Int]
    private let fds: [Int32]

    private init(indices: [Int], fds: [Int32]) {
        self.indices = indices
        self.fds = fds
    }

    /// `PTB_GPU_LOCK_DIR`, else `/tmp/ptb-gpu-locks`: one directory per host, shared by every
    /// user's ptb (world-writable and sticky, as /tmp).
    public static func lockDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        URL(fileURLWithPath: environment["PTB_GPU_LOCK_DIR"] ?? "/tmp/ptb-gpu-locks")
    }

    /// Claims `count` of `among` (in that order) that nobody holds; nil when fewer are free (and
    /// then holds nothing). `count` 0 gives an empty lease.
    public static func tryClaim(_ count: Int, among: [Int], lockDir: URL) throws -> GPULease? {
        if count == 0 { return GPULease(indices: [], fds: []) }
        if !FileManager.default.fileExists(atPath: lockDir.path) {
            try? FileManager.default.createDirectory(at: lockDir, withIntermediateDirectories: true)
            chmod(lockDir.path, 0o1777)
        }
        var got: [(Int, Int32)] = []
        for i in among where got.count < count {
            let path = lockDir.appendingPathComponent("gpu\(i).lock").path
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
            guard fd >= 0 else {
                for (_, f) in got { close(f) }
                throw PTBError.io("cannot open the GPU lock \(path) (\(String(cString: strerror(errno)))); make \(lockDir.path) writable for every user, or set PTB_GPU_LOCK_DIR to a directory that is.")
            }
            fchmod(fd, 0o666)
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { got.append((i, fd)) } else { close(fd) }
        }
        guard got.count == count else {
            for (_, f) in got { close(f) }
            return nil
        }
        return GPULease(indices: got.map(\.0), fds: got.map(\.1))
    }

    /// The indices of `among` that some lease holds now (for the message when a claim fails).
    public static func held(among: [Int], lockDir: URL) -> [Int] {
        among.filter { i in
            let fd = open(lockDir.appendingPathComponent("gpu\(i).lock").path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
            return true
        }
    }

    /// CUDA_VISIBLE_DEVICES for these GPUs on the host.
    public var visibleDevices: String { indices.map(String.init).joined(separator: ",") }

    deinit {
        for fd in fds {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }
}

/// The GPUs a run with `--gpus k` starts with: host CUDA_VISIBLE_DEVICES for the agent, and the
/// lease that keeps them this run's until it is released.
public enum GPUAcquisition: Sendable {
    case granted(visibleDevices: String, lease: GPULease?)
    /// Fewer than k: the line (with the numbers) the run ends with as `no-gpu`.
    case short(String)

    public static func acquire(requested k: Int, visibleDevices: String?, host: HostGPUs = HostGPUs(), lockDir: URL) throws -> GPUAcquisition {
        switch GPUSelection.decide(requested: k, visibleDevices: visibleDevices, host: host.indices()) {
        case .short(let why): return .short(why)
        case .assigned(let ids): return .granted(visibleDevices: ids.joined(separator: ","), lease: nil)
        case let .claim(count, among):
            if let lease = try GPULease.tryClaim(count, among: among, lockDir: lockDir) {
                return .granted(visibleDevices: lease.visibleDevices, lease: lease)
            }
            let held = GPULease.held(among: among, lockDir: lockDir)
            return .short("asked for \(k) GPU(s) but only \(among.count - held.count) of this node's \(among.count) are free (GPU \(held.map(String.init).joined(separator: ",")) held by other ptb runs or pools, locks in \(lockDir.path)). Wait for them, or run with --gpus \(among.count - held.count)")
        }
    }
}

/// Where an inference engine serves: how many GPUs (0: the CPU), which host devices it sees
/// (nil: whatever ptb's own `CUDA_VISIBLE_DEVICES` says), and its tensor-parallel size.
/// An evaluation's engine gets the run's GPUs, never the host's first one: on a node shared by
/// several runs that one belongs to someone else.
public struct GPUPlacement: Sendable, Equatable {
    public var count: Int
    public var visibleDevices: String?
    public var tensorParallel: Int

    public init(count: Int, visibleDevices: String? = nil, tensorParallel: Int = 1) {
        self.count = count
        self.visibleDevices = visibleDevices
        self.tensorParallel = tensorParallel
    }

    public static let cpu = GPUPlacement(count: 0)
}
