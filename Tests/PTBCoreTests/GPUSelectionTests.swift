import Foundation
import PTBCore
import Synchronization
import Testing

/// Issue 21: which GPUs a run gets, and the no-gpu line with the numbers when it cannot get k.
@Suite struct GPUSelectionTests {
    func scratch() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-gpusel-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test func schedulerAssignedGPUsAreTrustedAndCountedAgainstK() {
        #expect(GPUSelection.decide(requested: 2, visibleDevices: "4,5,6", host: [0, 1, 2, 3, 4, 5, 6, 7]) == .assigned(["4", "5"]))
        #expect(GPUSelection.decide(requested: 1, visibleDevices: "GPU-abc", host: []) == .assigned(["GPU-abc"]))
        guard case .short(let why) = GPUSelection.decide(requested: 2, visibleDevices: "3", host: [0, 1, 2, 3]) else {
            Issue.record("one visible GPU satisfied --gpus 2"); return
        }
        #expect(why.contains("asked for 2 GPU(s)") && why.contains("CUDA_VISIBLE_DEVICES=\"3\" gives this job 1") && why.contains("this node has 4"), "\(why)")
        // The local pool's CPU jobs get an empty value: no GPU at all.
        guard case .short(let none) = GPUSelection.decide(requested: 1, visibleDevices: "", host: [0]) else { Issue.record("empty value gave a GPU"); return }
        #expect(none.contains("gives this job 0"))
    }

    @Test func unsetMeansClaimAmongTheHostsGPUsOrSayHowManyThereAre() {
        #expect(GPUSelection.decide(requested: 2, visibleDevices: nil, host: [0, 1, 2]) == .claim(count: 2, among: [0, 1, 2]))
        guard case .short(let why) = GPUSelection.decide(requested: 4, visibleDevices: nil, host: [0, 1]) else { Issue.record("4 of 2"); return }
        #expect(why == "asked for 4 GPU(s) but this node has 2 (/dev/nvidia0,1). Run with --gpus 2 or on a node with 4 GPU(s)")
        guard case .short(let cpu) = GPUSelection.decide(requested: 1, visibleDevices: nil, host: []) else { Issue.record("GPU on a CPU node"); return }
        #expect(cpu.contains("this node has no /dev/nvidia* device"))
        #expect(GPUSelection.indices("0, 2,5") == [0, 2, 5] && GPUSelection.indices("GPU-1,0") == nil)
    }

    @Test func hostNodesAreReadFromTheDeviceDirectory() throws {
        let dev = try scratch()
        defer { try? FileManager.default.removeItem(at: dev) }
        for n in ["nvidia0", "nvidia10", "nvidia2", "nvidiactl", "nvidia-uvm", "nvidia-modeset", "null"] {
            _ = FileManager.default.createFile(atPath: dev.appendingPathComponent(n).path, contents: nil)
        }
        let host = HostGPUs(devDir: dev.path)
        #expect(host.indices() == [0, 2, 10])
        #expect(host.controlNodes() == ["nvidia-modeset", "nvidia-uvm", "nvidiactl"].map { dev.path + "/" + $0 })
    }

    /// A standalone `--gpus 2` on a 3-GPU node while another run holds one: granted the two free
    /// ones; a third run asking for 2 ends with the numbers.
    @Test func claimsAreExclusiveAndAShortClaimSaysWhoHoldsWhat() throws {
        let dev = try scratch(), locks = try scratch()
        defer { try? FileManager.default.removeItem(at: dev); try? FileManager.default.removeItem(at: locks) }
        for i in 0..<3 { _ = FileManager.default.createFile(atPath: dev.appendingPathComponent("nvidia\(i)").path, contents: nil) }
        let host = HostGPUs(devDir: dev.path)
        // Scoped: debug builds keep locals alive to the end of their scope.
        do {
            let first = try GPULease.tryClaim(1, among: [1], lockDir: locks)
            #expect(first?.indices == [1])
            guard case let .granted(visible, lease) = try GPUAcquisition.acquire(requested: 2, visibleDevices: nil, host: host, lockDir: locks) else {
                Issue.record("two free GPUs were not granted"); return
            }
            #expect(visible == "0,2" && lease?.indices == [0, 2])
            guard case .short(let why) = try GPUAcquisition.acquire(requested: 2, visibleDevices: nil, host: host, lockDir: locks) else {
                Issue.record("a third claim got GPUs that are held"); return
            }
            #expect(why.hasPrefix("asked for 2 GPU(s) but only 0 of this node's 3 are free (GPU 0,1,2 held"), "\(why)")
            withExtendedLifetime((first, lease)) {}
        }
        // Released with the lease: claimable again.
        #expect(try GPULease.tryClaim(3, among: [0, 1, 2], lockDir: locks)?.indices == [0, 1, 2])
    }

    /// Many claims at once on an 8-GPU host: never two holders of one GPU, never more than 8 held.
    @Test func manyConcurrentClaimsNeverOverlap() async throws {
        let locks = try scratch()
        defer { try? FileManager.default.removeItem(at: locks) }
        let ledger = Ledger()
        let claimsPerTask = 12
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<32 {
                group.addTask {
                    var rng = SplitMix64(seed: UInt64(t))
                    for _ in 0..<claimsPerTask {
                        let k = Int(rng.next() % 4) + 1
                        var lease: GPULease?
                        while lease == nil {
                            lease = try? GPULease.tryClaim(k, among: Array(0..<8), lockDir: locks)
                            if lease == nil { try? await Task.sleep(for: .microseconds(200)) }
                        }
                        let mine = lease!.indices
                        ledger.state.withLock { s in
                            if !s.held.isDisjoint(with: mine) || s.held.count + mine.count > 8 { s.overlaps.append("\(mine) while \(s.held)") }
                            s.held.formUnion(mine)
                        }
                        try? await Task.sleep(for: .microseconds(Int(rng.next() % 2000)))
                        ledger.state.withLock { $0.held.subtract(mine); $0.granted += 1 }
                        withExtendedLifetime(lease) {}
                    }
                }
            }
        }
        let (overlaps, granted) = ledger.state.withLock { ($0.overlaps, $0.granted) }
        #expect(overlaps.isEmpty, "\(overlaps.prefix(5))")
        #expect(granted == 32 * claimsPerTask)
    }
}

/// What the concurrent claimants saw, shared between their tasks.
final class Ledger: Sendable {
    struct State { var held: Set<Int> = []; var overlaps: [String] = []; var granted = 0 }
    let state = Mutex(State())
}
