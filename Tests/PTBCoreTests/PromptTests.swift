import Foundation
import PTBCore
import PTBTestSupport
import Testing

@Suite struct PromptTests {
    @Test func templateIsTheOriginalFileByteForByte() {
        // The original prompt.txt is 2088 bytes with no trailing newline.
        #expect(AgentPrompt.template.utf8.count == 2088)
        #expect(!AgentPrompt.template.hasSuffix("\n"))
        #expect(AgentPrompt.template.contains(#"\`{model}\`"#))
    }

    @Test func inspectTaskOnOneH100() throws {
        let p = AgentPrompt.render(model: "Qwen/Qwen3-1.7B-Base", benchmark: "GSM8K (Grade School Math 8K)", hours: "10",
                                   gpus: 1, gpuName: "H100", inspectNote: true, nonInteractive: false)
        try expectGolden(p, "prompt-gsm8k-qwen-1gpu.md")
    }

    @Test func claudeCodeGetsTheNonInteractiveLineAndMultiGPU() throws {
        let p = AgentPrompt.render(model: "google/gemma-3-4b-pt", benchmark: "HealthBench", hours: "5",
                                   gpus: 8, gpuName: "H100", inspectNote: false, nonInteractive: true)
        try expectGolden(p, "prompt-healthbench-gemma-8gpu-claude.md")
        #expect(p.hasSuffix("You are running in a non-interactive mode. So make sure every process you are running finishes before you write your last message.\n"))
    }

    @Test func cpuRunsSayThereIsNoGPU() throws {
        let p = AgentPrompt.render(model: "tiny", benchmark: "Arith (synthetic arithmetic word problems)", hours: "0.05",
                                   gpus: 0, gpuName: "H100", inspectNote: false, nonInteractive: false)
        try expectGolden(p, "prompt-arith-tiny-cpu.md")
        #expect(!p.contains("{"))
    }

    @Test func hoursText() {
        #expect(RunSpec.formatHours(10) == "10")
        #expect(RunSpec.formatHours(0.05) == "0.05")
        #expect(RunSpec.formatHours(1.5) == "1.5")
    }
}

@Suite struct TimerScriptTests {
    @Test func golden() throws {
        try expectGolden(TimerScript.render(creationEpoch: 1_763_800_000, budgetSeconds: 36000), "timer.sh")
    }

    func runTimer(creation: Int, budget: Int) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("timer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("timer.sh")
        try TimerScript.render(creationEpoch: creation, budgetSeconds: budget).write(to: f, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [f.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func remainingTimeFormat() throws {
        let now = Int(Date().timeIntervalSince1970)
        // 2 h 5 min 30 s left → "2:05" (minutes floor, zero-padded).
        let out = try runTimer(creation: now, budget: 2 * 3600 + 5 * 60 + 30)
        #expect(out == "Remaining time (hours:minutes):\n2:05\n" || out == "Remaining time (hours:minutes):\n2:04\n")
    }

    @Test func expired() throws {
        let now = Int(Date().timeIntervalSince1970)
        #expect(try runTimer(creation: now - 7200, budget: 3600) == "Timer expired!\n")
    }
}
