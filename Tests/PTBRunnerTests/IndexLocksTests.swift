import Foundation
import PTBCore
import PTBStore
import Synchronization
import Testing

/// Issue 19: the SQLite index on a filesystem without working locks (NFS `nolock`, Lustre
/// `localflock`) moves to the node's local disk with one warning; run directories stay the truth.
/// No such mount can be made here (no mount rights, no NFS server), so the decision is tested
/// with an injected probe and recorded mount tables, and the real probe on this machine's ext4.
@Suite struct IndexLocksTests {
    @Test func theRealProbeFindsWorkingLocksOnALocalDisk() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-lockprobe-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(FilesystemLocks.probe(directory: dir) == .works)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "the probe file is removed")
        if case .broken(let why) = FilesystemLocks.probe(directory: URL(fileURLWithPath: "/proc/ptb-no-such-dir")) {
            #expect(why.contains("cannot create a file"))
        } else { Issue.record("a directory where no file can be made passed the probe") }
    }

    @Test func mountsWhoseLocksStayOnTheNodeAreRecognised() {
        let table = """
            /dev/sda1 / ext4 rw,relatime 0 0
            fs1:/export/home /shared nfs4 rw,relatime,vers=4.2,local_lock=none,addr=10.0.0.1 0 0
            fs2:/scratch /shared/scratch nfs rw,vers=3,nolock,addr=10.0.0.2 0 0
            fs3:/v /mnt/posix nfs rw,vers=3,local_lock=posix 0 0
            10.1.1.1@o2ib:/lfs /lustre lustre rw,localflock 0 0
            10.1.1.1@o2ib:/lfs2 /lustre2 lustre rw,flock 0 0
            sshfs#me@h: /mnt/my\\040files fuse.sshfs rw,user_id=0 0 0
            //srv/share /mnt/smb cifs rw,nobrl 0 0
            """
        func verdict(_ path: String) -> String? { FilesystemLocks.mount(of: path, in: table).flatMap(FilesystemLocks.nodeLocal) }
        #expect(FilesystemLocks.mount(of: "/shared/ptb/home", in: table)?.type == "nfs4")
        #expect(verdict("/shared/ptb/home") == nil)                       // NFSv4 with server-side locks
        #expect(verdict("/shared/scratch/runs")?.contains("nolock") == true)
        #expect(verdict("/shared/scratchy") == nil)                       // a prefix of the name is not the mount
        #expect(verdict("/mnt/posix/x")?.contains("local_lock=posix") == true)
        #expect(verdict("/lustre/ptb")?.contains("localflock") == true)
        #expect(verdict("/lustre2/ptb") == nil)
        #expect(verdict("/mnt/my files/ptb")?.contains("FUSE") == true)
        #expect(verdict("/mnt/smb/ptb")?.contains("nobrl") == true)
        #expect(verdict("/home/me") == nil)
    }

    @Test func anIndexOnALocklessFilesystemMovesToTheNodeWithOneWarning() throws {
        let home = URL(fileURLWithPath: "/var/tmp/ptb-lockless-\(UUID().uuidString.prefix(8))")
        let index = home.appendingPathComponent("index.sqlite")
        let local = IndexLocation.localDirectory(for: index, environment: ProcessInfo.processInfo.environment)
        defer {
            try? FileManager.default.removeItem(at: home)
            try? FileManager.default.removeItem(at: local)
        }
        let lockless = LockProbe { _ in .broken("/shared is NFS mounted with nolock: locks are local to each node") }
        let warnings = Mutex<[String]>([])
        let first = try RunIndex(path: index, probe: lockless) { w in warnings.withLock { $0.append(w) } }
        #expect(first.location.url == local.appendingPathComponent("index.sqlite"))
        #expect(warnings.withLock { $0.count } == 1)
        let w = warnings.withLock { $0[0] }
        #expect(w.contains("nolock") && w.contains(local.path) && w.contains("ptb index rebuild"), "\(w)")

        // Written and read where it now lives; nothing at $PTB_HOME.
        let spec = RunSpec(task: "arith", model: "tiny", agent: "none")
        let m = RunManifest(id: "r1", spec: spec, createdAt: Date(), ptbVersion: "test")
        try first.upsert(RunRow(manifest: m, result: nil, dir: home.appendingPathComponent("runs/r1")))
        let again = try RunIndex(path: index, probe: lockless) { w in warnings.withLock { $0.append(w) } }
        #expect(try again.all().map(\.id) == ["r1"])
        #expect(warnings.withLock { $0.count } == 1, "warned once per node, not on every open")
        #expect(!FileManager.default.fileExists(atPath: index.path))

        // Locks that work: the index stays where it was asked for.
        let shared = try RunIndex(path: index, probe: LockProbe { _ in .works }) { _ in Issue.record("warned with working locks") }
        #expect(shared.location == IndexLocation(url: index, warning: nil))
        #expect(FileManager.default.fileExists(atPath: index.path))
    }
}
