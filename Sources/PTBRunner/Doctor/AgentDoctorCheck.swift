import Foundation
import PTBAgents
import PTBCore
import PTBProcess

/// Each CLI agent's program is on PATH and its credentials are where the adapter looks
/// (checked as `ptb run` checks them; values are never printed).
struct AgentDoctorCheck: DoctorCheck {
    let name = "agent"

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let home = ctx.harness.home
        // Without --agent: every CLI agent ptb knows, as information (a node need not serve all).
        let asked = !ctx.agents.isEmpty
        let names = asked ? ctx.agents : AgentRegistry.list(home: home).filter { !["command", "reference", "none"].contains($0.scaffold) && $0.problem == nil }.map(\.name)
        if names.isEmpty { return [DoctorResult(name, .skip, "no CLI agent defined")] }
        var out: [DoctorResult] = []
        let path = ctx.env["PATH"] ?? "/usr/bin:/bin"
        for agent in names {
            let adapter: any AgentAdapter
            do { adapter = try AgentRegistry.resolve(agent: agent, config: nil, home: home, environment: ctx.env) } catch {
                out.append(DoctorResult(name, .fail, "\(agent): \(error)", fix: "`ptb agents` lists the agents"))
                continue
            }
            guard let cli = adapter as? any CLIScaffoldAdapter, let program = cli.arguments(prompt: "").first else {
                out.append(DoctorResult(name, .pass, "\(agent): scripted agent, nothing to install"))
                continue
            }
            let found = ProcessRunner.which(program, path: path)
            var problems: [String] = [], fixes: [String] = []
            var version = ""
            if let found {
                let (t, lines) = await ctx.run(Command(found, ["--version"], environment: ctx.env), seconds: 30)
                if let t, t.succeeded, let v = lines.first(where: { !$0.isEmpty }) { version = " \(v)" }
            } else {
                problems.append("`\(program)` is not on PATH")
                fixes.append("install the \(program) CLI (the pinned versions are in containers/ptb.lock) and put it on PATH")
            }
            do { try AgentRegistry.validate(agent: agent, config: nil, home: home, environment: ctx.env) } catch {
                problems.append("credentials: \(error)")
                fixes.append("export the key named above, or set up the subscription login the definition names")
            }
            if problems.isEmpty {
                out.append(DoctorResult(name, .pass, "\(agent): \(found ?? program)\(version); credentials present"))
            } else {
                out.append(DoctorResult(name, asked ? .fail : .warn, "\(agent): " + problems.joined(separator: "; "), fix: fixes.joined(separator: "; ")))
            }
        }
        return out
    }
}
