import Foundation
import PTBCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The one confined-tree walker of collect (copies) and the evaluation broker (hard links).
@Suite struct ConfinedTreeTests {
    let root: URL
    let workspace: URL
    let model: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-tree-\(UUID().uuidString)")
        workspace = root.appendingPathComponent("workspace")
        model = workspace.appendingPathComponent("task/final_model")
        try FileManager.default.createDirectory(at: model.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "{}".write(to: model.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try "weights".write(to: model.appendingPathComponent("sub/w.bin"), atomically: true, encoding: .utf8)
    }

    func inode(_ url: URL) -> ino_t {
        var st = stat()
        _ = lstat(url.path, &st)
        return st.st_ino
    }

    @Test func copyAndLinkModesGiveTheSameFiles() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let tree = ConfinedTree(root: workspace)
        let copied = try tree.materialize(model.path, into: root.appendingPathComponent("copy"), mode: .copy)
        let linked = try tree.materialize(model.path, into: root.appendingPathComponent("link"), mode: .link)
        #expect(copied.map(\.path) == ["config.json", "sub/w.bin"])
        #expect(linked.map(\.path) == copied.map(\.path))
        #expect(copied.reduce(0) { $0 + $1.size } == 9)
        let src = model.appendingPathComponent("sub/w.bin")
        #expect(inode(root.appendingPathComponent("copy/sub/w.bin")) != inode(src), "a copy is a file of its own")
        #expect(inode(root.appendingPathComponent("link/sub/w.bin")) == inode(src), "a snapshot is a hard link")
    }

    @Test func aLinkInsideIsItsContentALinkOutIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let shared = workspace.appendingPathComponent("shared.bin")
        try "inside".write(to: shared, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: model.appendingPathComponent("inside.bin").path, withDestinationPath: shared.path)
        let dest = root.appendingPathComponent("out")
        let files = try ConfinedTree(root: workspace).materialize(model.path, into: dest, mode: .copy, display: "task/final_model")
        #expect(files.map(\.path).contains("inside.bin"))
        #expect(try String(contentsOf: dest.appendingPathComponent("inside.bin"), encoding: .utf8) == "inside")
        var st = stat()
        #expect(lstat(dest.appendingPathComponent("inside.bin").path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG)

        let secret = root.appendingPathComponent("secret.txt")
        try "secret".write(to: secret, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: model.appendingPathComponent("leak.bin").path, withDestinationPath: secret.path)
        #expect(throws: ConfinedTree.Refusal.self) {
            try ConfinedTree(root: workspace).materialize(model.path, into: dest, mode: .copy, display: "task/final_model")
        }
        do { _ = try ConfinedTree(root: workspace).materialize(model.path, into: dest, mode: .copy, display: "task/final_model") } catch {
            #expect("\(error)".contains("task/final_model/leak.bin is a symlink to \(secret.path), outside the workspace"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: dest.path), "nothing is left of a refused copy")
    }

    @Test func specialFilesAndTheRootItselfAreRefused() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(mkfifo(model.appendingPathComponent("pipe").path, 0o644) == 0)
        #expect(throws: ConfinedTree.Refusal.self) {
            try ConfinedTree(root: workspace).materialize(model.path, into: root.appendingPathComponent("o1"), mode: .copy)
        }
        #expect(throws: ConfinedTree.Refusal.self) {
            try ConfinedTree(root: workspace).materialize(workspace.path, into: root.appendingPathComponent("o2"), mode: .link)
        }
        #expect(throws: ConfinedTree.Refusal.self) {
            try ConfinedTree(root: workspace).materialize(root.path, into: root.appendingPathComponent("o3"), mode: .link)
        }
    }

    @Test func realPathResolvesOrSaysItIsMissing() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let link = root.appendingPathComponent("ws-link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: workspace.path)
        #expect(RealPath.resolve(link.path) == RealPath.resolve(workspace.path))
        #expect(RealPath.resolve(root.appendingPathComponent("nope").path) == nil)
        #expect(RealPath.orSelf("/nonexistent/x") == "/nonexistent/x")
    }
}
