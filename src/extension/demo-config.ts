// The run configuration written by "Baton: Create the Demo": the repository's demo, with the
// reference application taken from the extension's own bundle. Pure, no 'vscode' import.

export function demoConfigText(daqAppJs: string): string {
  return `# A small DAQ system of reference applications run as local processes.
# Select it with "Baton: Select and Boot Run Configuration", then "Baton: Start Run".
apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: demo
spec:
  backend: local
  execs:
    daq-app:
      command: [node, ${JSON.stringify(daqAppJs)}]
      args: [--name, "{name}", -c, "rest://{host}:{port}"]
      env:
        PATH: getenv
        LOG_LEVEL: "getenv:info"
        DUNEDAQ_PARTITION: "{session}"
  timeouts: {default: 10s, boot: 15s}
  terminateGrace: 2s
  segments:
    - name: dataflow
      apps:
        - {name: dfo, exec: daq-app, args: [--delay-ms, "120"]}
        - {name: df-01, exec: daq-app, args: [--delay-ms, "200"]}
    - name: trigger
      apps:
        - {name: mlt, exec: daq-app, args: [--delay-ms, "150"]}
        - {name: hsi, exec: daq-app, args: [--delay-ms, "100"]}
    - name: readout
      apps:
        - {name: ru-apa1, exec: daq-app, args: [--delay-ms, "250"]}
        - {name: ru-apa2, exec: daq-app, args: [--delay-ms, "220"]}
  # Start dataflow first, then trigger, then readout; stop goes in reverse by default.
  order:
    start: [[dataflow], [trigger], [readout]]
`;
}
