import Foundation

/// The `ptb` executable built beside this test bundle (the suites that drive the real binary).
public let ptbBinary: URL = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The xctest bundle may be a directory inside the build folder.
    while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("ptb").path), dir.path != "/" {
        dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("ptb")
}()
