import Foundation

/// Hand-written streams in each CLI's documented shape (what the original's parsers read, §4.2–4.3),
/// wrapped as ptb writes them into trace.jsonl.
enum TraceFixtures {
    /// Wraps agent lines as `{"ts":…,"line":…}` records, one second apart, with ptb's start/exit.
    static func trace(_ agentLines: [String]) -> String {
        var out = [#"{"detail":"attempt 1; sandbox bwrap","event":"start","ts":"2026-11-22T10:00:00Z"}"#]
        for (i, l) in agentLines.enumerated() {
            let escaped = l.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            out.append(#"{"line":""# + escaped + #"","ts":"2026-11-22T10:00:"# + (i + 1 < 10 ? "0" : "") + "\(i + 1)Z\"}")
        }
        out.append(#"{"detail":"normal after 60 s (exit 0)","event":"exit","ts":"2026-11-22T10:01:00Z"}"#)
        return out.joined(separator: "\n") + "\n"
    }

    static let claude = [
        #"{"type":"system","subtype":"init","cwd":"/home/ben/task","session_id":"5f1c","tools":["Bash","Read","Write"],"model":"claude-opus-4-6","permissionMode":"bypassPermissions"}"#,
        #"{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"thinking","thinking":"Check the GPU first."}],"usage":{"input_tokens":10,"cache_creation_input_tokens":2000,"cache_read_input_tokens":0,"output_tokens":40}},"session_id":"5f1c"}"#,
        #"{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"nvidia-smi -L","description":"List GPUs"}}],"usage":{"input_tokens":10,"cache_creation_input_tokens":2000,"cache_read_input_tokens":0,"output_tokens":40}},"session_id":"5f1c"}"#,
        #"{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"GPU 0: NVIDIA H100 80GB HBM3","is_error":false}]},"session_id":"5f1c"}"#,
        #"{"type":"assistant","message":{"id":"msg_02","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":"One H100. Training now."}],"usage":{"input_tokens":5,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":12}},"session_id":"5f1c"}"#,
        #"{"type":"result","subtype":"success","is_error":false,"duration_ms":61000,"num_turns":2,"result":"One H100. Training now.","session_id":"5f1c","total_cost_usd":0.0712,"usage":{"input_tokens":15,"cache_creation_input_tokens":2100,"cache_read_input_tokens":2000,"output_tokens":52}}"#,
        "Warning: stray plain line",
    ]

    static let codex = [
        #"{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}"#,
        #"{"type":"turn.started"}"#,
        #"{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Planning the fine-tune**"}}"#,
        #"{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc 'python train.py'","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#,
        #"{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc 'python train.py'","aggregated_output":"step 100 loss 1.23\n","exit_code":1,"status":"failed"}}"#,
        #"{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"/home/ben/task/train.py","kind":"update"}],"status":"completed"}}"#,
        #"{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Saved final_model."}}"#,
        #"{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}"#,
        #"{"type":"item.completed","item":{"id":"item_4","type":"todo_list","items":[{"text":"train","completed":true}]}}"#,
        #"{"type":"error","message":"stream disconnected before completion"}"#,
    ]

    static let gemini = [
        #"{"type":"init","timestamp":"2026-11-22T10:00:01.000Z","session_id":"c25acda3","model":"gemini-3-pro-preview"}"#,
        #"{"type":"message","timestamp":"2026-11-22T10:00:01.100Z","role":"user","content":"Post-train the model"}"#,
        #"{"type":"message","timestamp":"2026-11-22T10:00:02.000Z","role":"assistant","content":"I will list ","delta":true}"#,
        #"{"type":"message","timestamp":"2026-11-22T10:00:02.100Z","role":"assistant","content":"the files.","delta":true}"#,
        #"{"type":"tool_use","timestamp":"2026-11-22T10:00:03.000Z","tool_name":"run_shell_command","tool_id":"run_shell_command-1","parameters":{"command":"ls"}}"#,
        #"{"type":"tool_result","timestamp":"2026-11-22T10:00:03.500Z","tool_id":"run_shell_command-1","status":"success","output":"evaluate.py\ntimer.sh"}"#,
        #"{"type":"error","timestamp":"2026-11-22T10:00:04.000Z","severity":"warning","message":"Loop detected, stopping."}"#,
        #"{"type":"result","timestamp":"2026-11-22T10:00:05.000Z","status":"success","stats":{"total_tokens":16015,"input_tokens":15800,"output_tokens":215,"cached":9000,"duration_ms":4000,"tool_calls":1}}"#,
    ]

    static let opencode = [
        #"{"type":"step_start","timestamp":1767036059338,"sessionID":"ses_4947","part":{"id":"prt_1","sessionID":"ses_4947","messageID":"msg_1","type":"step-start","snapshot":"abc"}}"#,
        #"{"type":"text","timestamp":1767036060000,"sessionID":"ses_4947","part":{"id":"prt_2","type":"text","text":"Checking the timer.","time":{"start":1767036059400,"end":1767036060000}}}"#,
        #"{"type":"tool_use","timestamp":1767036061000,"sessionID":"ses_4947","part":{"id":"prt_3","type":"tool","callID":"call_9","tool":"bash","state":{"status":"completed","input":{"command":"bash timer.sh","description":"time left"},"output":"Remaining time (hours:minutes):\n9:58","title":"time left","time":{"start":1767036060500,"end":1767036061000}}}}"#,
        #"{"type":"tool_use","timestamp":1767036062000,"sessionID":"ses_4947","part":{"id":"prt_4","type":"tool","callID":"call_10","tool":"read","state":{"status":"error","input":{"filePath":"/nope"},"error":"File not found: /nope"}}}"#,
        #"{"type":"step_finish","timestamp":1767036063000,"sessionID":"ses_4947","part":{"id":"prt_5","type":"step-finish","reason":"tool-calls","cost":0.0031,"tokens":{"input":1200,"output":80,"reasoning":20,"cache":{"read":3000,"write":0}}}}"#,
        #"{"type":"error","timestamp":1767036064000,"sessionID":"ses_4947","error":{"name":"APIError","data":{"message":"Rate limit exceeded"}}}"#,
        #"{"type":"session.idle","properties":{"sessionID":"ses_4947"}}"#,
    ]
}
