using System.Buffers;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace WgSharp.Cli.Daemon;

/// <summary>
/// The instruments of one <see cref="Meter"/> (by name) as Prometheus text exposition format 0.0.4: per metric a
/// HELP and a TYPE line, then one sample per measurement. Observable instruments are read at <see cref="CollectInto"/>,
/// so a scrape sees the counters of that moment. Names as OpenTelemetry's Prometheus exporter writes them:
/// counters get a `_total` suffix, gauges keep their name; tags become labels in the order given.
/// Written straight as UTF-8 into buffers kept from one collection to the next: with thousands of peers the text
/// is megabytes, and building it as strings each scrape made the daemon's memory climb.
/// </summary>
internal sealed class PrometheusExposition : IDisposable
{
    /// <summary>The Content-Type of what <see cref="Collect"/> returns.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly List<Instrument> _instruments = []; // in the order they were published: the order of the output
    private readonly Dictionary<Instrument, ArrayBufferWriter<byte>> _samples = []; // kept across collections: reused
    private readonly Dictionary<Instrument, string> _names = []; // "x_total" once, not once per sample
    private readonly StringBuilder _escaped = new();
    private readonly Lock _collecting = new();

    public PrometheusExposition(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != meterName) return;
            lock (_collecting) _instruments.Add(instrument);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_collecting)
            {
                _instruments.Remove(instrument);
                _samples.Remove(instrument);
                _names.Remove(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var samples = StartSample(instrument, tags);
            value.TryFormat(samples.GetSpan(20), out int written, default, CultureInfo.InvariantCulture);
            samples.Advance(written);
            samples.Write("\n"u8);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var samples = StartSample(instrument, tags);
            Write(samples, FormatDouble(value));
            samples.Write("\n"u8);
        });
        _listener.Start();
    }

    /// <summary>Reads every instrument now and returns the exposition as text.</summary>
    public string Collect()
    {
        byte[] buffer = [];
        int length = CollectInto(ref buffer);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>
    /// Reads every instrument now and writes the exposition into <paramref name="buffer"/>, replacing it with a
    /// larger one when it does not fit; returns the number of bytes written.
    /// </summary>
    public int CollectInto(ref byte[] buffer)
    {
        lock (_collecting)
        {
            foreach (var samples in _samples.Values) samples.ResetWrittenCount();
            _listener.RecordObservableInstruments();
            int length = 0;
            foreach (var instrument in _instruments)
            {
                if (!_samples.TryGetValue(instrument, out var samples) || samples.WrittenCount == 0) continue; // no series: nothing to say
                string name = MetricName(instrument);
                _escaped.Clear().Append("# HELP ").Append(name).Append(' ');
                AppendEscaped(_escaped, instrument.Description ?? "", escapeQuotes: false);
                _escaped.Append("\n# TYPE ").Append(name).Append(' ').Append(IsCounter(instrument) ? "counter" : "gauge").Append('\n');
                foreach (var chunk in _escaped.GetChunks()) length = Append(ref buffer, length, chunk.Span);
                length = Append(ref buffer, length, samples.WrittenSpan);
            }
            return length;
        }
    }

    private static int Append(ref byte[] buffer, int length, ReadOnlySpan<byte> bytes)
    {
        Reserve(ref buffer, length, bytes.Length);
        bytes.CopyTo(buffer.AsSpan(length));
        return length + bytes.Length;
    }

    private static int Append(ref byte[] buffer, int length, ReadOnlySpan<char> text)
    {
        Reserve(ref buffer, length, Encoding.UTF8.GetMaxByteCount(text.Length));
        return length + Encoding.UTF8.GetBytes(text, buffer.AsSpan(length));
    }

    private static void Reserve(ref byte[] buffer, int length, int more)
    {
        if (buffer.Length - length >= more) return;
        Array.Resize(ref buffer, Math.Max(length + more, Math.Max(buffer.Length * 2, 64 * 1024)));
    }

    /// <summary>The series name and labels of a new sample, up to and including the space before its value.</summary>
    private ArrayBufferWriter<byte> StartSample(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Called from RecordObservableInstruments, inside CollectInto's lock.
        if (!_samples.TryGetValue(instrument, out var samples)) _samples[instrument] = samples = new ArrayBufferWriter<byte>();
        _escaped.Clear().Append(MetricName(instrument));
        if (tags.Length > 0)
        {
            _escaped.Append('{');
            for (int i = 0; i < tags.Length; i++)
            {
                if (i > 0) _escaped.Append(',');
                _escaped.Append(tags[i].Key).Append("=\"");
                AppendEscaped(_escaped, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "", escapeQuotes: true);
                _escaped.Append('"');
            }
            _escaped.Append('}');
        }
        _escaped.Append(' ');
        foreach (var chunk in _escaped.GetChunks()) Write(samples, chunk.Span);
        return samples;
    }

    private static void Write(ArrayBufferWriter<byte> writer, ReadOnlySpan<char> text)
    {
        int written = Encoding.UTF8.GetBytes(text, writer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        writer.Advance(written);
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument is ObservableCounter<long> or ObservableCounter<double> or Counter<long> or Counter<double>;

    private string MetricName(Instrument instrument)
    {
        if (!_names.TryGetValue(instrument, out var name))
            _names[instrument] = name = IsCounter(instrument) && !instrument.Name.EndsWith("_total", StringComparison.Ordinal) ? instrument.Name + "_total" : instrument.Name;
        return name;
    }

    /// <summary>The format's escaping: backslash and newline everywhere, double quotes in label values.</summary>
    private static void AppendEscaped(StringBuilder text, string value, bool escapeQuotes)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '"' when escapeQuotes: text.Append("\\\""); break;
                default: text.Append(c); break;
            }
        }
    }

    private static string FormatDouble(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();
}
