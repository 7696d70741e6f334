import { describe, expect, it } from 'vitest';
import {
  GoTemplate,
  parseFormat,
  renderItems,
  renderTemplate,
  TemplateError,
} from '../src/output/template/index.js';

const run = (source: string, data: unknown) => new GoTemplate(source).execute(data);

// An inspect document as Docker's examples use it (docs.docker.com: inspect, formatting).
const container = {
  Id: 'a87ecb4f327c',
  Name: '/Web_App',
  Args: ['-g', 'daemon off;'],
  Image: 'ubuntu:22.04',
  LogPath: '/var/lib/docker/containers/a87e/a87e-json.log',
  Config: { Image: 'nginx', Labels: { 'com.example.some-label': 'some-value' }, Volumes: null },
  Mounts: [{ Type: 'volume', Name: 'data', Destination: '/data' }],
  NetworkSettings: {
    IPAddress: '172.17.0.2',
    Networks: { bridge: { IPAddress: '172.17.0.2' }, backend: { IPAddress: '10.0.1.5' } },
    Ports: {
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '443/tcp': [{ HostIp: '0.0.0.0', HostPort: '8443' }],
    },
  },
  State: { Running: true, ExitCode: 0, Pid: 4242 },
};

describe("Docker's documented --format examples", () => {
  it('reads fields and nested fields (docker inspect)', () => {
    expect(run('{{.NetworkSettings.IPAddress}}', container)).toBe('172.17.0.2');
    expect(run('{{.LogPath}}', container)).toBe(container.LogPath);
    expect(run('{{.Config.Image}}', container)).toBe('nginx');
    expect(run('{{.State.Pid}} {{.State.Running}}', container)).toBe('4242 true');
  });

  it('ranges over a map in key order, with and without variables', () => {
    expect(run('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container)).toBe(
      '10.0.1.5172.17.0.2',
    );
    expect(run('{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}', container)).toBe(
      '10.0.1.5\n172.17.0.2\n',
    );
    expect(
      run(
        '{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}',
        container,
      ),
    ).toBe(' 443/tcp -> 8443  80/tcp -> 8080 ');
  });

  it('json, index, join, lower, upper, title, split, pad, truncate', () => {
    expect(run('{{json .Mounts}}', container)).toBe(
      '[{"Type":"volume","Name":"data","Destination":"/data"}]',
    );
    expect(run('{{json .Config.Volumes}}', container)).toBe('null');
    expect(run('{{ index .Config.Labels "com.example.some-label"}}', container)).toBe('some-value');
    expect(run('{{join .Args " , "}}', container)).toBe('-g , daemon off;');
    expect(run('{{lower .Name}}', container)).toBe('/web_app');
    expect(run('{{upper .Name}}', container)).toBe('/WEB_APP');
    expect(run('{{title "hello wide world"}}', container)).toBe('Hello Wide World');
    expect(run('{{split .Image ":"}}', container)).toBe('[ubuntu 22.04]');
    expect(run('{{pad .Image 2 1}}|', container)).toBe('  ubuntu:22.04 |');
    expect(run('{{pad "" 2 1}}|', container)).toBe('|');
    expect(run('{{truncate .Image 6}}', container)).toBe('ubuntu');
    expect(run('{{truncate .Image 60}}', container)).toBe('ubuntu:22.04');
  });

  it('prints maps and lists as Go does, a missing key as <no value>', () => {
    expect(run('{{.Config.Labels}}', container)).toBe('map[com.example.some-label:some-value]');
    expect(run('{{.Args}}', container)).toBe('[-g daemon off;]');
    expect(run('{{.Nope}}', container)).toBe('<no value>');
    expect(run('{{.Config.Volumes}}', container)).toBe('<nil>');
  });
});

describe('Go text/template semantics', () => {
  it('if / else if / else / end with comparisons and and/or/not', () => {
    const t = '{{if eq .State.ExitCode 0}}ok{{else if gt .State.ExitCode 128}}signal{{else}}failed{{end}}';
    expect(run(t, container)).toBe('ok');
    expect(run(t, { State: { ExitCode: 137 } })).toBe('signal');
    expect(run(t, { State: { ExitCode: 2 } })).toBe('failed');
    expect(run('{{if and .State.Running (not .Nope)}}yes{{end}}', container)).toBe('yes');
    expect(run('{{or .Nope "fallback"}}', container)).toBe('fallback');
    expect(run('{{if eq .Image "a" "ubuntu:22.04"}}one of{{end}}', container)).toBe('one of');
  });

  it('range with else, indices, break and continue, with', () => {
    expect(run('{{range $i, $a := .Args}}{{$i}}={{$a}};{{end}}', container)).toBe('0=-g;1=daemon off;;');
    expect(run('{{range .Nope}}x{{else}}empty{{end}}', container)).toBe('empty');
    expect(
      run(
        '{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}',
        [1, 2, 3, 4, 5],
      ),
    ).toBe('13');
    expect(run('{{with .State}}{{.Pid}}{{else}}none{{end}}', container)).toBe('4242');
    expect(run('{{with .Nope}}x{{else}}none{{end}}', container)).toBe('none');
  });

  it('variables, pipelines, parentheses, len, printf, print, trims and comments', () => {
    expect(run('{{$n := .Name}}{{$n}}', container)).toBe('/Web_App');
    expect(run('{{.Name | lower | printf "%q"}}', container)).toBe('"/web_app"');
    expect(run('{{len .Args}} {{len .Config.Labels}} {{len "héllo"}}', container)).toBe('2 1 6');
    expect(run('{{printf "%-6s|%5d|%05.1f|%x|%v" "ab" 42 3.14159 255 .Args}}', container)).toBe(
      'ab    |   42|003.1|ff|[-g daemon off;]',
    );
    expect(run('{{printf "%d"}} {{printf "%d" "x"}}', {})).toBe('%!d(MISSING) %!d(string=x)');
    expect(run('{{print 1 2 "a" "b" 3}}', {})).toBe('1 2ab3');
    expect(run('a  {{- /* a comment */ -}}  b', {})).toBe('ab');
    expect(run('{{"}}"}}', {})).toBe('}}');
    expect(run('{{`raw\\n`}}', {})).toBe('raw\\n');
    expect(run('{{index .Args 1}}', container)).toBe('daemon off;');
  });

  it("fails with Go's messages", () => {
    expect(() => new GoTemplate('{{.Name')).toThrow(TemplateError);
    expect(() => new GoTemplate('{{nope .Name}}')).toThrow('function "nope" not defined');
    expect(() => new GoTemplate('{{if .A}}x')).toThrow('unexpected EOF');
    expect(() => new GoTemplate('{{end}}')).toThrow('unexpected {{end}}');
    expect(() => run('{{index .Args 5}}', container)).toThrow('index out of range: 5');
    expect(() => run('{{.Nope.Deeper}}', container)).toThrow('nil pointer evaluating interface {}.Deeper');
    class Row {
      readonly ID = 'abc';
    }
    expect(() => run('{{.Names}}', new Row())).toThrow(
      'template: :1:2: executing "" at <.Names>: can\'t evaluate field Names in type *formatter.Row',
    );
  });
});

describe("Docker's tables", () => {
  // docs.docker.com, docker image ls: --format "table {{.ID}}\t{{.Repository}}\t{{.Tag}}"
  it('aligns columns with a header (tabwriter: min width 10, padding 3)', () => {
    const format = parseFormat('table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}');
    const images = [
      { ID: '77af4d6b9913', Repository: '<none>', Tag: '<none>' },
      { ID: 'b6fa739cedf5', Repository: 'committ', Tag: 'latest' },
      { ID: '78a85c484f71', Repository: 'postgres', Tag: '9.3' },
    ];
    expect(renderItems(format, '', images, { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG' })).toBe(
      [
        'IMAGE ID       REPOSITORY   TAG',
        '77af4d6b9913   <none>       <none>',
        'b6fa739cedf5   committ      latest',
        '78a85c484f71   postgres     9.3',
        '',
      ].join('\n'),
    );
  });

  it('prints the header of an empty table; headers ignore functions', () => {
    const format = parseFormat('table {{.ID}}\\t{{lower .Names}}');
    expect(renderItems(format, '', [], { ID: 'CONTAINER ID', Names: 'NAMES' })).toBe(
      'CONTAINER ID   NAMES\n',
    );
  });

  it('a bare template has no header, one line per item; json one object per line', () => {
    expect(
      renderItems(
        parseFormat('{{.ID}}: {{.Command}}'),
        '',
        [{ ID: 'a87ecb4f327c', Command: '"/bin/sh"' }],
        {},
      ),
    ).toBe('a87ecb4f327c: "/bin/sh"\n');
    expect(renderItems(parseFormat('json'), '', [{ A: 1 }, { A: 2 }], {})).toBe('{"A":1}\n{"A":2}\n');
    expect(renderTemplate(new GoTemplate('{{.}}'), ['x'], { table: false })).toBe('x\n');
  });

  it('renders the default table of a command for `table`', () => {
    expect(
      renderItems(parseFormat('table'), 'table {{.A}}\t{{.B}}', [{ A: 'x', B: 'y' }], { A: 'A', B: 'B' }),
    ).toBe('A         B\nx         y\n');
  });
});
