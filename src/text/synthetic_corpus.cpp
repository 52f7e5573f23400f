// The synthetic-vocabulary training text; see synthetic_corpus.h. Written for
// hearth; any resemblance to real documents is in the genre only.
#include "text/synthetic_corpus.h"

namespace hearth::text {

std::string_view synthetic_corpus() {
  static constexpr std::string_view kCorpus = R"corpus(The small shop keeps its models on a shelf of machines it owns. Every morning the first request arrives before the coffee is ready, and the answer comes back in less than a second. When the work is heavy, the gateway sends it to a bigger box in the back room; when it is confidential, it never leaves the building at all.
A model is only as good as the data it was trained on, and a tokenizer is only as good as the text it has seen. The quick brown fox jumps over the lazy dog. The five boxing wizards jump quickly. How vexingly quick daft zebras jump! Pack my box with five dozen liquor jugs.
It was the best of times for people who read manuals and the worst of times for people who did not. She said: "I'll check the logs, then we'll know." He replied, "It's not the network; it's the disk." They've seen this before, and they're sure it won't happen again. We'd better write it down.
On Monday, 3 March 2025, the team processed 12,480 requests with a median latency of 215 ms and a 99th percentile of 1,930 ms. The bill for the cloud burst was $41.27, about 0.33% of the monthly budget of $12,500.00. Version 1.2.3 fixed 17 bugs; version 2.0.0 added 4 features and removed 2.
Questions people ask: What is the capital of France? Paris. How many days are in a leap year? 366. Which planet is closest to the sun? Mercury. What is 7 times 8? 56. Why is the sky blue? Because air scatters short wavelengths of sunlight more than long ones.
Dear customer, thank you for your order. Your package will arrive within three to five business days. If you have any questions, please reply to this email or call us between 9:00 and 17:00.

def tokenize(text, vocab, merges):
    """Split text into tokens using byte-pair merges."""
    words = re.findall(r"\w+|[^\w\s]+|\s+", text)
    result = []
    for word in words:
        symbols = list(word.encode("utf-8"))
        while len(symbols) > 1:
            pairs = [(merges.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, index = min(pairs)
            if rank == 1 << 30:
                break
            symbols[index:index + 2] = [vocab[(symbols[index], symbols[index + 1])]]
        result.extend(symbols)
    return result

class Server:
    def __init__(self, host="127.0.0.1", port=8080):
        self.host = host
        self.port = port
        self.routes = {}

    def route(self, path):
        def decorator(handler):
            self.routes[path] = handler
            return handler
        return decorator

#include <cstdint>
#include <string>
#include <vector>

// Returns the sum of the squares of the values.
int64_t sum_of_squares(const std::vector<int32_t>& values) {
  int64_t total = 0;
  for (int32_t value : values) {
    total += static_cast<int64_t>(value) * value;
  }
  return total;
}

struct Request {
  std::string model;
  std::vector<std::string> messages;
  float temperature = 0.7f;
  int max_tokens = 256;
};

for (size_t row_idx = 0; row_idx < n_rows; ++row_idx) {
  if (row_idx % 64 == 0 && buffer != nullptr) {
    flush(buffer, row_idx);
  }
}

{"model": "tiny-chat", "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hello!"}], "stream": true, "max_tokens": 128}
{"id": "chatcmpl-42", "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi! How can I help you today?"}}], "usage": {"prompt_tokens": 21, "completion_tokens": 9}}

SELECT name, COUNT(*) AS n FROM requests WHERE created_at >= '2025-01-01' GROUP BY name ORDER BY n DESC LIMIT 10;
$ cmake -S . -B build -G Ninja && cmake --build build -j8 && ./build/hearth serve --port 8080
<html><head><title>Status</title></head><body><p class="ok">All systems normal.</p></body></html>

Le petit atelier garde ses modèles sur des machines qu'il possède. Chaque matin, la première requête arrive avant que le café ne soit prêt. « Où est le fichier ? » demanda-t-elle. Il répondit : « Dans le répertoire des données, à côté de la sauvegarde d'hier. » Ça marche très bien, même en été.
Die kleine Werkstatt betreibt ihre Modelle auf eigenen Rechnern. Größere Aufgaben gehen an den Server im Hinterzimmer; vertrauliche Daten verlassen das Gebäude nie. Über fünfzehn Jahre Erfahrung, schnelle Antworten und zuverlässige Ergebnisse – das schätzen unsere Kunden.
El pequeño taller guarda sus modelos en máquinas propias. ¿Cuántas peticiones llegaron ayer? Más de doce mil, y la mayoría recibió respuesta en menos de un segundo. ¡Qué día tan largo! La señora Muñoz pidió un informe detallado.
O pequeno escritório mantém os seus modelos em máquinas próprias. A informação confidencial nunca sai do edifício, e as respostas chegam em menos de um segundo.
Маленькая мастерская держит свои модели на собственных компьютерах. Каждое утро первый запрос приходит раньше, чем готов кофе. Большие задачи уходят на сервер в дальней комнате, а конфиденциальные данные никогда не покидают здание.
Η μικρή επιχείρηση κρατά τα μοντέλα της σε δικούς της υπολογιστές. Κάθε πρωί το πρώτο αίτημα φτάνει πριν από τον καφέ.
这家小店把模型放在自己的机器上。每天早上，第一个请求总是在咖啡煮好之前到达。较大的任务会被发送到后面房间里的服务器上，而机密数据从不离开大楼。我们的目标是快速、可靠、安全。
この小さな店は自分たちのマシンでモデルを動かしています。毎朝、最初のリクエストはコーヒーができる前に届きます。大きな仕事は奥の部屋のサーバーに送られ、機密データは建物の外に出ません。
이 작은 가게는 자체 컴퓨터에서 모델을 실행합니다. 매일 아침 첫 번째 요청은 커피가 준비되기 전에 도착합니다.
يحتفظ المتجر الصغير بنماذجه على أجهزته الخاصة. تصل أول رسالة كل صباح قبل أن تجهز القهوة.
यह छोटी दुकान अपने मॉडल अपनी मशीनों पर चलाती है। हर सुबह पहला अनुरोध कॉफ़ी तैयार होने से पहले आ जाता है।
Küçük dükkân modellerini kendi makinelerinde çalıştırıyor. Her sabah ilk istek kahve hazır olmadan gelir.
Cửa hàng nhỏ chạy các mô hình trên máy của chính mình. Mỗi sáng, yêu cầu đầu tiên đến trước khi cà phê sẵn sàng.

Status: ✅ all checks passed 🎉 — deploy at 18:30 🚀. Weather: ☀️ 24°C, later 🌧️. Reactions: 👍 12, ❤️ 7, 😂 3, 🤔 1. Flags: 🇫🇷 🇩🇪 🇯🇵. Family: 👩‍👩‍👧‍👦. Math: x² + y² = r², ∑ aᵢ ≤ ∞, α β γ δ π ≈ 3.14159, √2 ≈ 1.41421. Arrows → ← ↑ ↓ and bullets • ◦ ▪.
Résumé, naïve, coöperate, façade, jalapeño, Zürich, Kraków, São Paulo, Ångström, Øresund, Þingvellir, ﬁne ligatures and é combining accents: é è ê ë, and precomposed é è ê ë.
The end of the day comes quietly. The machines hum, the logs roll over, and tomorrow the first request will arrive before the coffee is ready again.
)corpus";
  return kCorpus;
}

}  // namespace hearth::text
